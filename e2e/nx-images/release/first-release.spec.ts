import { commit, release, RELEASE_IMAGES, tags, versionOf, withReleaseFixture } from '@taskforge/testing';

// `nx release` end to end in a temporary git repository: real commits, real Nx release, real engine, and a registry of its own.
jest.setTimeout(240_000);

describe('nx release for images: the first release', () => {
  // Starts from a workspace never released: every image's VERSION says 1.0.0, there is no tag and the registry is empty.
  it('first release: every image at its VERSION, tagged, with a changelog entry, published as X.Y.Z, X.Y, X and latest at one digest', () =>
    withReleaseFixture({ registryPort: 5161 }, async ({ fixture, registry, repository, digest }) => {
      commit(fixture, 'feat(fx-base): base v2', { 'images/base/base.txt': 'base v2\n' });
      const result = await release(fixture, ['--yes']);
      expect(result.code).toBe(0);
      expect(tags(fixture)).toEqual(['fx-a-v1.0.0', 'fx-b-v1.0.0', 'fx-base-v1.0.0']);
      expect(fixture.git(['cat-file', '-t', 'fx-base-v1.0.0']).stdout.trim()).toBe('tag'); // annotated
      expect(fixture.git(['log', '-1', '--format=%s']).stdout.trim()).toBe('chore(release): publish');
      expect(fixture.read('images/base/CHANGELOG.md')).toMatch(/^## 1\.0\.0 \(\d{4}-\d\d-\d\d\)\n\n### Features\n\n- \*\*fx-base:\*\* base v2 \([0-9a-f]{7}\)/);
      for (const short of RELEASE_IMAGES) {
        expect(versionOf(fixture, short)).toBe('1.0.0');
        const digests = await Promise.all(['1.0.0', '1.0', '1', 'latest'].map((tag) => digest(short, tag)));
        expect(digests[0]).toMatch(/^sha256:/);
        expect(new Set(digests)).toEqual(new Set([digests[0]]));
        expect(result.output).toContain(`published ${registry.address}/${repository(short)}:1.0.0`);
      }
    }));
});
