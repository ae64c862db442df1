import { CATALOGUE_FILE } from '@taskforge/task-images';
import {
  commit,
  createFixtureWorkspace,
  engineForTests,
  release,
  removeImagesNamed,
  repoImage,
  startPipIndex,
  startScratchRegistry,
  tagDigest,
  type FixtureWorkspace,
  type PipIndex,
  type ScratchRegistry,
} from '@taskforge/testing';
import { PIP_PACKAGES, startBuilderFixture, testCatalogue, type BuilderFixture } from './builder-fixture';

jest.setTimeout(15 * 60 * 1000);

// The original workflow's step 6 ("update image-builder default base image"), end to end: a real `nx release` of
// the base moves config/task-builds.json, and the next task image is FROM the new base, the service untouched.
describe('a release of the base reaches task images without a restart', () => {
  let registry: ScratchRegistry;
  let index: PipIndex;
  let fixture: FixtureWorkspace;
  let fx: BuilderFixture;

  beforeAll(async () => {
    await engineForTests();
    const agentBase = await repoImage('agent-base');
    [registry, index] = await Promise.all([startScratchRegistry(5094), startPipIndex(PIP_PACKAGES)]);
    // A repository like this one: its base image (FROM the repo's agent base, so it has Python and
    // install-debian-packages), the repo's plugin and release configuration, config/task-builds.json naming the base.
    fixture = createFixtureWorkspace({
      git: true,
      release: true,
      registry: registry.address,
      images: [{ dir: 'images/base', short: 'base', dockerfile: `FROM ${agentBase}\nCOPY release.txt /etc/fx-release.txt\n`, files: { 'release.txt': 'first\n' } }],
    });
    commit(fixture, 'chore: the capability catalogue', { [CATALOGUE_FILE]: JSON.stringify({ capabilities: testCatalogue(index) }, null, 2) });
    commit(fixture, 'feat(fx-base): the first base of task images', { 'images/base/release.txt': 'first release\n' });
    const first = await release(fixture, ['--yes']);
    if (first.code !== 0) throw new Error(`the first release failed:\n${first.output}`);
    fx = await startBuilderFixture({
      registry,
      index,
      configRoot: fixture.root,
      base: `${fixture.image('base')}:1.0.0`,
      writeCatalogue: () => {
        throw new Error('the catalogue is committed in the fixture');
      },
      dispose: async () => undefined,
    });
  });
  afterAll(async () => {
    await fx?.dispose();
    await index?.stop();
    await registry?.remove();
    if (fixture) await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture?.remove();
  });

  it('builds FROM the base config/task-builds.json names at the time of the build, pinned by its digest', async () => {
    const name = fixture.image('base');
    const before = await fx.build('task-before', ['apt_package:jq']);
    expect(before).toMatchObject({ state: 'done', base_image: `${name}:1.0.0`, base_digest: await tagDigest(registry.address, name, '1.0.0') });

    commit(fixture, 'fix(fx-base): a fix task images must get', { 'images/base/release.txt': 'second\n' });
    const second = await release(fixture, ['--yes']);
    expect(second.code).toBe(0);
    expect(JSON.parse(fixture.read('config/task-builds.json'))).toEqual({ defaultBaseImage: `${name}:1.0.1` });

    const after = await fx.build('task-after', ['apt_package:jq']);
    expect(after).toMatchObject({ state: 'done', base_image: `${name}:1.0.1`, base_digest: await tagDigest(registry.address, name, '1.0.1'), layers: 'built' });
    expect(after.base_digest).not.toBe(before.base_digest);
    expect(after.capability_key).not.toBe(before.capability_key);
  });
});
