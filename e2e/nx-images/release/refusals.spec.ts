import { commit, errorLines, head, release, tags, versionOf, withReleaseFixture } from '@taskforge/testing';

// `nx release` end to end in temporary git repositories: real commits, real Nx release, real engine, and registries of their own.
// Releases refused before anything changes. Each scenario starts from 1.0.0 released in git (the release tags) in a
// workspace and registry of its own, so the scenarios run at the same time; run one alone with `-t`.
jest.setTimeout(240_000);

describe('nx release for images: refusals', () => {
  it.concurrent('refuses to start on a dirty tree, in one line, and changes nothing', () =>
    withReleaseFixture({ registryPort: 5167, released: 'tags' }, async ({ fixture }) => {
      fixture.write('images/base/base.txt', 'uncommitted\n');
      const headBefore = head(fixture);
      const tagsBefore = tags(fixture);
      const result = await release(fixture, ['--yes']);
      expect(result.code).not.toBe(0);
      expect(errorLines(result)).toEqual([expect.stringContaining('The working tree has uncommitted changes (images/base/base.txt); a release is computed from commits only')]);
      expect(result.output).not.toMatch(/\n\s+at /);
      expect(head(fixture)).toBe(headBefore);
      expect(tags(fixture)).toEqual(tagsBefore);
      expect(fixture.git(['status', '--porcelain']).stdout).toBe(' M images/base/base.txt\n');
    }),
  );

  it.concurrent('refuses a release whose tag already exists', () =>
    withReleaseFixture({ registryPort: 5168, released: 'tags' }, async ({ fixture }) => {
      commit(fixture, 'fix(fx-a): a v3', { 'images/variants/a/a.txt': 'a v3\n' });
      // Made elsewhere (a commit no branch here contains), so Nx does not read it as the current version.
      const elsewhere = fixture.git(['commit-tree', 'HEAD^{tree}', '-m', 'release made on another branch']).stdout.trim();
      fixture.git(['tag', 'fx-a-v1.0.1', elsewhere]);
      const headBefore = head(fixture);
      const tagsBefore = tags(fixture);
      const result = await release(fixture, ['--yes']);
      expect(result.code).not.toBe(0);
      expect(errorLines(result)).toEqual([expect.stringContaining('fx-a: tag fx-a-v1.0.1 already exists')]);
      expect(versionOf(fixture, 'a')).toBe('1.0.0');
      expect(head(fixture)).toBe(headBefore);
      expect(tags(fixture)).toEqual(tagsBefore);
    }),
  );
});
