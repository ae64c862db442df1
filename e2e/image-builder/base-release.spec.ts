import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, engineClient, pushAs } from '@taskforge/engine';
import { tagDigest } from '@taskforge/testing';
import { startBuilderFixture, type BuilderFixture } from './builder-fixture';

jest.setTimeout(10 * 60 * 1000);

// The original workflow's step 6 ("update image-builder default base image"): a release of agent-base moves
// config/task-builds.json, and the next task image is FROM the new base, without touching the running service.
describe('a release of the base reaches task images without a restart', () => {
  let fx: BuilderFixture;
  beforeAll(async () => {
    fx = await startBuilderFixture(5094);
  });
  afterAll(() => fx?.dispose());

  it('builds FROM the base config/task-builds.json names at the time of the build, pinned by its digest', async () => {
    const before = await fx.build('task-before', ['apt_package:jq']);
    expect(before).toMatchObject({ state: 'done', base_image: fx.base });

    // "Release" 1.0.1 of the base into the registry: a different image under the next version.
    const [name] = fx.base.split(':');
    const dir = mkdtempSync(join(tmpdir(), 'next-base-'));
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${fx.base}\nLABEL dev.taskforge.test=next-base\n`);
    const docker = engineClient();
    const id = await buildImage(docker, { contextDir: dir, files: ['Dockerfile'], dockerfile: 'Dockerfile', tags: [`${name}:1.0.1-test`], labels: {}, buildArgs: {}, displayName: 'next base', print: () => undefined });
    rmSync(dir, { recursive: true, force: true });
    await pushAs(docker, id, `${fx.registry.address}/${name}:1.0.1`);
    // What nx release does to the file when agent-base is released.
    writeFileSync(join(fx.configRoot, 'config/task-builds.json'), `${JSON.stringify({ defaultBaseImage: `${name}:1.0.1` }, null, 2)}\n`);

    const after = await fx.build('task-after', ['apt_package:jq']);
    expect(after).toMatchObject({ state: 'done', base_image: `${name}:1.0.1`, base_digest: await tagDigest(fx.registry.address, name, '1.0.1'), layers: 'built' });
    expect(after.base_digest).not.toBe(before.base_digest);
    expect(after.capability_key).not.toBe(before.capability_key);
  });
});
