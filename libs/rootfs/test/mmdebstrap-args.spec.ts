import { join, resolve } from 'node:path';
import { parseImageDefinition, readImageDefinition, type RootfsRecipe } from '@taskforge/image-model';
import { mmdebstrapArgs } from '../src';

const recipe: RootfsRecipe = {
  suite: 'unstable',
  variant: 'minbase',
  packages: ['docker.io', 'tini'],
  exclude: ['/usr/share/doc/*'],
  sourceDateEpoch: 1735689600,
  env: {},
};

describe('mmdebstrapArgs', () => {
  const mirror = process.env.MMDEBSTRAP_MIRROR;
  beforeEach(() => delete process.env.MMDEBSTRAP_MIRROR);
  afterAll(() => {
    if (mirror !== undefined) process.env.MMDEBSTRAP_MIRROR = mirror;
  });

  it('passes each apt option as --aptopt, after the recipe-independent ones', () => {
    const args = mmdebstrapArgs({ ...recipe, aptOptions: ['Acquire::Check-Valid-Until "false"'] }, 'root.tar');
    expect(args.filter((arg) => arg.startsWith('--aptopt='))).toEqual(['--aptopt=APT::Install-Recommends "false"', '--aptopt=Acquire::Check-Valid-Until "false"']);
    expect(args.slice(-2)).toEqual(['unstable', 'root.tar']);
  });

  // The image-signing tests name their root image by a hash of these arguments: a recipe without the field keeps them.
  it('gives a recipe without apt options the arguments it had before the field existed', () => {
    expect(mmdebstrapArgs(recipe, 'root.tar')).toEqual([
      '--variant=minbase',
      '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
      '--aptopt=APT::Install-Recommends "false"',
      '--include=docker.io,tini',
      '--format=tar',
      '--dpkgopt=path-exclude=/usr/share/doc/*',
      'unstable',
      'root.tar',
    ]);
    expect(mmdebstrapArgs({ ...recipe, aptOptions: [] }, 'root.tar')).toEqual(mmdebstrapArgs(recipe, 'root.tar'));
  });

  // Content keys hash the parsed definition: a default would add the field to every existing recipe and rebuild the graph.
  it('leaves the parsed recipe of the repo runtime image without the field', () => {
    const runtime = readImageDefinition(join(resolve(__dirname, '../../../images/python-runtime'), 'image.json'));
    expect(runtime.rootfs).toBeDefined();
    expect(Object.keys(runtime.rootfs!)).not.toContain('aptOptions');
  });

  it('refuses an apt option spanning lines', () => {
    const parse = () =>
      parseImageDefinition({ name: 'a', description: 'x', rootfs: { ...recipe, aptOptions: ['A "1";\nB "2"'] } }, 'images/a/image.json');
    expect(parse).toThrow(/field "rootfs.aptOptions.0": one apt configuration line/);
  });
});
