import { engineClient, pushImage } from '@taskforge/engine';
import { commit, release, versionOf, withReleaseFixture } from '@taskforge/testing';

// `nx release` end to end in temporary git repositories: real commits, real Nx release, real engine, and registries of their own.
// Each scenario has its own workspace, git history and registry, set up as it needs, so they run at the same time.
jest.setTimeout(240_000);

describe('nx release for images: a publish that fails leaves git consistent and the registry as it was', () => {
  // Starts from 1.0.0 released in git and the base's 1.0.0 really published, so the resumed publish has finished work to recognise.
  it.concurrent('registry down during publish: one-line error, git consistent; the next `nx release publish` finishes without bumping again', () =>
    withReleaseFixture({ registryPort: 5169, released: 'published', publish: ['fx-base'] }, async ({ fixture, registry, repository, digest }) => {
      commit(fixture, 'fix(fx-a): a v3', { 'images/variants/a/a.txt': 'a v3\n' });
      await registry.stop();
      const failed = await release(fixture, ['--yes']);
      await registry.start();
      expect(failed.code).not.toBe(0);
      expect(failed.output).toContain(`[fx-a] ERROR: registry ${registry.address} is not reachable`);
      expect(versionOf(fixture, 'a')).toBe('1.0.1');
      expect(fixture.git(['tag', '--points-at', 'HEAD']).stdout.trim()).toBe('fx-a-v1.0.1');
      expect(fixture.git(['status', '--porcelain']).stdout).toBe('');
      expect(await digest('a', '1.0.1')).toBeUndefined();

      const resumed = await release(fixture, ['publish']);
      expect(resumed.code).toBe(0);
      expect(versionOf(fixture, 'a')).toBe('1.0.1');
      const published = await digest('a', '1.0.1');
      expect(published).toMatch(/^sha256:/);
      expect(await digest('a', 'latest')).toBe(published);
      expect(resumed.output).toContain(`[fx-base] already published: ${registry.address}/${repository('base')}:1.0.0`);
    }),
  );

  // Starts from 1.0.0 released in git and a's 1.0.0 really published (with its base, which the engine then holds).
  it.concurrent('never replaces a published X.Y.Z that points to another image', () =>
    withReleaseFixture({ registryPort: 5170, released: 'published', publish: ['fx-a'] }, async ({ fixture, registry, repository, digest }) => {
      const previous = await digest('a', '1.0.0');
      expect(previous).toMatch(/^sha256:/);
      commit(fixture, 'fix(fx-a): a v4', { 'images/variants/a/a.txt': 'a v4\n' });
      expect((await release(fixture, ['--skip-publish'])).code).toBe(0);
      // Someone pushed another image as 1.0.1 first.
      const docker = engineClient();
      const other = `${registry.address}/${repository('a')}:1.0.1`;
      await docker.getImage(`${repository('base')}:1.0.0`).tag({ repo: `${registry.address}/${repository('a')}`, tag: '1.0.1' });
      const squatter = (await pushImage(docker, other)).digest;

      const result = await release(fixture, ['publish', '--projects=fx-a']);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(`[fx-a] ERROR: ${other} already exists as ${squatter}`);
      expect(await digest('a', '1.0.1')).toBe(squatter);
      expect(await digest('a', 'latest')).toBe(previous);
    }),
  );

  // Starts from 1.0.0 released in git and b's 1.0.0 really published (with its base), so there is a latest to keep.
  it.concurrent('pushes nothing for an image whose checks fail', () =>
    withReleaseFixture({ registryPort: 5171, released: 'published', publish: ['fx-b'] }, async ({ fixture, registry, repository, digest }) => {
      const previous = await digest('b', '1.0.0');
      expect(previous).toMatch(/^sha256:/);
      const registryBefore = await registry.contents();
      commit(fixture, 'fix(fx-b): b must run as 1001', {
        'images/variants/b/image.json': JSON.stringify({ name: repository('b'), project: 'fx-b', description: 'fixture image b', checks: { user: 1001 } }, null, 2),
      });
      const result = await release(fixture, ['--yes']);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('[fx-b] ERROR: fx-b: test-image failed (numeric USER, process user), so nothing was pushed');
      expect(result.output).toContain('[fx-b] FAIL numeric USER');
      expect(versionOf(fixture, 'b')).toBe('1.0.1');
      expect(await digest('b', '1.0.1')).toBeUndefined();
      expect(await digest('b', 'latest')).toBe(previous);
      expect(await registry.contents()).toEqual(registryBefore);
    }),
  );
});
