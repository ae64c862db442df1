import { engineClient, inspectLocalImage } from '@taskforge/engine';
import { commit, head, release, tags, withReleaseFixture } from '@taskforge/testing';

// `nx release` end to end in a temporary git repository: real commits, real Nx release, real engine, and a registry of its own.
jest.setTimeout(240_000);

describe('nx release for images: --dry-run', () => {
  // Starts from 1.0.0 released in git (the release tags): a dry run reads only git, never the registry, so nothing is published first.
  it('--dry-run prints the plan and changes nothing: files, commits, tags, engine images, registry; an untracked file does not stop it', () =>
    withReleaseFixture({ registryPort: 5162, released: 'tags' }, async ({ fixture, registry, repository }) => {
      commit(fixture, 'fix(fx-base): base v3', { 'images/base/base.txt': 'base v3\n' });
      // A release refuses this tree (refusals.spec.ts); a dry run plans from the commits and says so.
      fixture.write('notes.txt', 'draft\n');
      const headBefore = head(fixture);
      const tagsBefore = tags(fixture);
      const registryBefore = await registry.contents();

      const result = await release(fixture, ['--dry-run', '--yes']);

      expect(result.code).toBe(0);
      expect(result.output).toContain('Dry run on a working tree with uncommitted changes (notes.txt): a release would stop here until they are committed or stashed; the plan goes on from the commits.');
      expect(result.output).toContain('fx-base 📄 Resolved the specifier as "patch"');
      expect(result.output).toContain('New version 1.0.1 written to images/base/VERSION');
      expect(result.output).toContain(`publish pushes ${registry.address}/${repository('base')}:1.0.1, :1.0, :1, :latest`);
      expect(result.output).toMatch(/\+ ## 1\.0\.1 \(\d{4}-\d\d-\d\d\)/); // changelog preview
      expect(result.output).toContain(`dry run: would build or reuse ${repository('a')}:1.0.1`);
      expect(fixture.git(['status', '--porcelain']).stdout).toBe('?? notes.txt\n');
      expect(head(fixture)).toBe(headBefore);
      expect(tags(fixture)).toEqual(tagsBefore);
      expect(await registry.contents()).toEqual(registryBefore);
      expect(await inspectLocalImage(engineClient(), `${repository('base')}:1.0.1`)).toBeUndefined();
    }));
});
