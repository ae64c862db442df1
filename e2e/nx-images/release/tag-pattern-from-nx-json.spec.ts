import { commit, release, RELEASE_IMAGES, tags, versionOf, withReleaseFixture } from '@taskforge/testing';

// Release settings have one source, nx.json: a workspace that names its release tags `{projectName}@{version}` and
// titles feat commits "New features" gets exactly those tags and that title from `nx release`, and publish (which
// finds the release by its tag, and the lines it leads by the other tags) pushes what it released.
jest.setTimeout(600_000);

describe('nx release settings from nx.json', () => {
  it('releaseTag.pattern {projectName}@{version} and a feat title of its own: the tags, the published lines and CHANGELOG.md follow them', () =>
    withReleaseFixture({ registryPort: 5241 }, async ({ fixture, registry, repository, digest }) => {
      const nxJson = JSON.parse(fixture.read('nx.json'));
      nxJson.release.releaseTag.pattern = '{projectName}@{version}';
      nxJson.release.conventionalCommits.types.feat = { changelog: { title: 'New features' } };
      commit(fixture, 'chore: release tags as {projectName}@{version}', { 'nx.json': `${JSON.stringify(nxJson, null, 2)}\n` });

      commit(fixture, 'feat(fx-base): base v2', { 'images/base/base.txt': 'base v2\n' });
      const first = await release(fixture, ['--yes']);
      expect(first.code).toBe(0);
      expect(tags(fixture)).toEqual(['fx-a@1.0.0', 'fx-b@1.0.0', 'fx-base@1.0.0']);
      expect(first.output).toContain('Git tag fx-base@1.0.0;');
      expect(fixture.read('images/base/CHANGELOG.md')).toMatch(/^## 1\.0\.0 \(\d{4}-\d\d-\d\d\)\n\n### New features\n\n- \*\*fx-base:\*\* base v2 /);
      for (const short of RELEASE_IMAGES) {
        expect(first.output).toContain(`published ${registry.address}/${repository(short)}:1.0.0`);
        const published = await digest(short, '1.0.0');
        expect(published).toMatch(/^sha256:/);
        for (const line of ['1.0', '1', 'latest']) expect(await digest(short, line)).toBe(published);
      }

      // The next release reads the released versions back from the @ tags: a patch, not a first release again.
      commit(fixture, 'fix(fx-a): a v2', { 'images/variants/a/a.txt': 'a v2\n' });
      const second = await release(fixture, ['--yes']);
      expect(second.code).toBe(0);
      expect(versionOf(fixture, 'a')).toBe('1.0.1');
      expect(fixture.git(['tag', '--points-at', 'HEAD']).stdout.trim()).toBe('fx-a@1.0.1');
      expect(second.output).toContain(`Git tag fx-a@1.0.1; publish pushes ${registry.address}/${repository('a')}:1.0.1, :1.0, :1, :latest`);
      const patched = await digest('a', '1.0.1');
      expect(patched).toMatch(/^sha256:/);
      for (const line of ['1.0', '1', 'latest']) expect(await digest('a', line)).toBe(patched);
      expect(await digest('a', '1.0.0')).not.toBe(patched);
    }));
});
