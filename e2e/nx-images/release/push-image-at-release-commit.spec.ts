import { head, withReleaseFixture } from '@taskforge/testing';

// push-image in a temporary git repository whose HEAD carries the release tags: real Nx, real engine, and a registry of its own.
jest.setTimeout(240_000);

const RELEASE_TAGS = ['1.0.0', '1.0', '1', 'latest'];

describe('push-image at a released commit', () => {
  // Starts from 1.0.0 released in git only: every image's release tag on HEAD, nothing built or pushed.
  it('pushes the development tag, never a release tag; .dirty only for uncommitted changes to what goes into the image', () =>
    withReleaseFixture({ registryPort: 5222, released: 'tags' }, async ({ fixture, registry, repository }) => {
      const commitTag = `1.0.0-dev.${head(fixture).slice(0, 7)}`;
      const pushA = () => fixture.nx(['run', 'fx-a:push-image', '--output-style=static']);
      const tagsOf = async (short: string) => (await registry.contents())[repository(short)] ?? [];

      const clean = pushA();
      expect(clean.code).toBe(0);
      expect(clean.output).toContain(`pushed ${registry.address}/${repository('a')}:${commitTag} sha256:`);
      for (const tag of RELEASE_TAGS) expect(await tagsOf('a')).not.toContain(tag);
      expect(await tagsOf('a')).toEqual([commitTag, expect.stringMatching(/^ck-[0-9a-f]{32}$/)]);

      // The README is outside the build context (.dockerignore): no change of the image.
      fixture.write('images/base/README.md', '# base, documented better\n');
      const readmeOnly = pushA();
      expect(readmeOnly.code).toBe(0);
      expect(readmeOnly.output).not.toContain('.dirty');

      fixture.write('images/base/base.txt', 'base v1, edited in place\n');
      const dirty = pushA();
      expect(dirty.code).toBe(0);
      expect(dirty.output).toContain("[fx-a] uncommitted changes to the image's inputs (images/base/base.txt)");
      expect(await tagsOf('a')).toEqual([
        commitTag,
        `${commitTag}.dirty`,
        expect.stringMatching(/^ck-[0-9a-f]{32}$/),
        expect.stringMatching(/^ck-[0-9a-f]{32}$/),
      ]);
      for (const short of ['a', 'base', 'b']) for (const tag of RELEASE_TAGS) expect(await tagsOf(short)).not.toContain(tag);
    }));
});
