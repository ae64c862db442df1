import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commit, head, release, RELEASE_IMAGES, REPO_ROOT, withReleaseFixture } from '@taskforge/testing';

// `npm run images` and then `nx release` end to end in a temporary git repository: real commits, real Nx, real engine, and a registry of its own.
jest.setTimeout(240_000);

/** The Nx command of `npm run images` (package.json), run here in the fixture; the engine and registry are up already. */
function imagesCommand(): string[] {
  const script = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.images;
  const nx = /(?:^|&&\s*)nx\s+([^&]+)$/.exec(script)?.[1];
  if (!nx) throw new Error(`package.json's images script runs no nx command: ${script}`);
  return nx.trim().split(/\s+/);
}

describe('npm run images before the first release', () => {
  // Starts from a workspace never released: every image's VERSION says 1.0.0, there is no tag and the registry is empty.
  it('pushes only content and development tags, so a fix and the first `nx release --yes` publish 1.0.0', () =>
    withReleaseFixture({ registryPort: 5221 }, async ({ fixture, registry, repository, digest }) => {
      const images = fixture.nx([...imagesCommand(), '--output-style=static']);
      expect(images.code).toBe(0);
      const devTag = `1.0.0-dev.${head(fixture).slice(0, 7)}`;
      const contents = await registry.contents();
      const devDigests = new Map<string, string | undefined>();
      for (const short of RELEASE_IMAGES) {
        // Sorted: the development tag, then the content tag; no 1.0.0, 1.0, 1 or latest.
        expect(contents[repository(short)]).toEqual([devTag, expect.stringMatching(/^ck-[0-9a-f]{32}$/)]);
        const printed = new RegExp(`\\[fx-${short}\\] digest (sha256:[0-9a-f]{64})`).exec(images.output)?.[1];
        expect(printed).toBeDefined();
        devDigests.set(short, await digest(short, devTag));
        expect(devDigests.get(short)).toBe(printed);
      }

      commit(fixture, 'fix(fx-base): base v1 fixed', { 'images/base/base.txt': 'base v1 fixed\n' });
      const result = await release(fixture, ['--yes']);
      expect(result.code).toBe(0);
      expect(result.output).not.toContain('never replaced');
      for (const short of RELEASE_IMAGES) {
        const published = await digest(short, '1.0.0');
        expect(published).toMatch(/^sha256:/);
        // The fix is in the base and so in every image built FROM it: the release is not what the development push pushed.
        expect(published).not.toBe(devDigests.get(short));
        for (const tag of ['1.0', '1', 'latest']) expect(await digest(short, tag)).toBe(published);
        expect(await digest(short, devTag)).toBe(devDigests.get(short));
      }
    }));
});
