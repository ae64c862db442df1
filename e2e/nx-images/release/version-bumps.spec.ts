import { commit, release, RELEASE_IMAGES, RELEASE_VARIANTS, head, tags, versionOf, withReleaseFixture } from '@taskforge/testing';

// `nx release` end to end in temporary git repositories: real commits, real Nx release, real engine, and registries of their own.
// What a commit releases, from conventional commits. Each scenario has its own workspace, git history and registry,
// set up as far as it needs, so the scenarios run at the same time; run one alone with `-t`.
jest.setTimeout(240_000);

describe('nx release for images: what a commit releases', () => {
  // Starts from a real first `nx release --yes`: the variants' changelogs already hold their 1.0.0 entry, and every
  // image's 1.0.0 is in the registry, so the test can see the new entries go on top and the old release stay.
  it.concurrent('a fix on the base: base patch, a patch for every variant FROM it with its pin and changelog moved, task builds start FROM the new base', () =>
    withReleaseFixture({ registryPort: 5163, released: 'full' }, async ({ fixture, repository, digest }) => {
      commit(fixture, 'fix(fx-base): base v3', { 'images/base/base.txt': 'base v3\n' });
      const result = await release(fixture, ['--yes']);
      expect(result.code).toBe(0);
      expect(tags(fixture)).toEqual(expect.arrayContaining(['fx-base-v1.0.1', 'fx-a-v1.0.1', 'fx-b-v1.0.1']));
      expect(fixture.git(['show', '--name-only', '--format=', 'HEAD']).stdout.split('\n').filter(Boolean).sort()).toEqual(
        [
          'config/task-builds.json',
          'images/base/CHANGELOG.md',
          'images/base/VERSION',
          ...RELEASE_VARIANTS.flatMap((v) => [`images/variants/${v}/CHANGELOG.md`, `images/variants/${v}/Dockerfile`, `images/variants/${v}/VERSION`]),
        ].sort(),
      );
      expect(fixture.read('images/variants/a/Dockerfile')).toContain(`ARG BASE=${repository('base')}:1.0.1`);
      expect(fixture.read('images/variants/b/Dockerfile')).toContain(`FROM ${repository('base')}:1.0.1 AS base`);
      expect(fixture.read('images/variants/a/CHANGELOG.md')).toMatch(new RegExp(`^## 1\\.0\\.1 [^\\n]*\\n\\n### Base image\\n\\n- Built FROM ${repository('base')} 1\\.0\\.1\\n\\n## 1\\.0\\.0`));
      expect(JSON.parse(fixture.read('config/task-builds.json'))).toEqual({ defaultBaseImage: `${repository('base')}:1.0.1` });
      for (const short of RELEASE_IMAGES) {
        expect(versionOf(fixture, short)).toBe('1.0.1');
        const published = await digest(short, '1.0.1');
        expect(published).toMatch(/^sha256:/);
        for (const line of ['1.0', '1', 'latest']) expect(await digest(short, line)).toBe(published);
        // The old release stays.
        const old = await digest(short, '1.0.0');
        expect(old).toMatch(/^sha256:/);
        expect(old).not.toBe(published);
      }
    }),
  );

  // Starts from 1.0.0 released in git (the release tags); the release publishes the new variant, building its base locally.
  it.concurrent('a feat on one variant: that variant minor, nothing else', () =>
    withReleaseFixture({ registryPort: 5164, released: 'tags' }, async ({ fixture, registry, repository }) => {
      commit(fixture, 'feat(fx-a): a gets a tool', { 'images/variants/a/a.txt': 'a v2\n' });
      const result = await release(fixture, ['--yes']);
      expect(result.code).toBe(0);
      expect(versionOf(fixture, 'a')).toBe('1.1.0');
      expect(versionOf(fixture, 'base')).toBe('1.0.0');
      expect(versionOf(fixture, 'b')).toBe('1.0.0');
      expect(fixture.git(['tag', '--points-at', 'HEAD']).stdout.trim()).toBe('fx-a-v1.1.0');
      expect(tags(fixture)).toEqual(['fx-a-v1.0.0', 'fx-a-v1.1.0', 'fx-b-v1.0.0', 'fx-base-v1.0.0']);
      expect(Object.keys(await registry.contents())).toEqual([repository('a')]); // only the released image is published
    }),
  );

  // Starts from 1.0.0 released in git (the release tags): nothing is to be built or published.
  it.concurrent("a commit that touches only an image's README (outside every build context) releases nothing", () =>
    withReleaseFixture({ registryPort: 5165, released: 'tags' }, async ({ fixture, registry }) => {
      commit(fixture, 'fix(fx-a): README typo', { 'images/variants/a/README.md': '# a\n\nFixed typo.\n' });
      const headBefore = head(fixture);
      const tagsBefore = tags(fixture);
      const result = await release(fixture, ['--yes']);
      expect(result.code).toBe(0);
      expect(result.output).toContain('fx-a 🚫 No changes were detected');
      expect(versionOf(fixture, 'a')).toBe('1.0.0');
      expect(head(fixture)).toBe(headBefore);
      expect(tags(fixture)).toEqual(tagsBefore);
      expect(await registry.contents()).toEqual({});
    }),
  );

  // Starts from 1.0.0 released in git and b's 1.0.0 really published (with its base), so its 1.x lines are in the registry.
  it.concurrent('a breaking change: major, and 2.0.0 takes latest while the 1.x lines stay', () =>
    withReleaseFixture({ registryPort: 5166, released: 'published', publish: ['fx-b'] }, async ({ fixture, digest }) => {
      const first = await digest('b', '1.0.0');
      expect(first).toMatch(/^sha256:/);
      commit(fixture, 'feat(fx-b)!: b drops the old layout\n\nBREAKING CHANGE: /b.txt moved', { 'images/variants/b/b.txt': 'b v2\n' });
      const result = await release(fixture, ['--yes']);
      expect(result.code).toBe(0);
      expect(versionOf(fixture, 'b')).toBe('2.0.0');
      expect(fixture.read('images/variants/b/CHANGELOG.md')).toMatch(/^## 2\.0\.0 [^\n]*\n\n### ⚠ Breaking changes\n\n- \/b\.txt moved/);
      const major = await digest('b', '2.0.0');
      expect(major).toMatch(/^sha256:/);
      expect(major).not.toBe(first);
      expect(await digest('b', 'latest')).toBe(major);
      expect(await digest('b', '1')).toBe(first);
      expect(await digest('b', '1.0')).toBe(first);
    }),
  );
});
