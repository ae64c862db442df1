import { commit, createFixtureWorkspace, type CommandResult, type FixtureWorkspace } from '@taskforge/testing';

// `nx run <image>:release-changelog` is cached by Nx on what the entry is made of (the commits since the image's
// release tag, that tag, VERSION, nx.json, the date): the same state again is a cache hit, whose restore gives the
// same CHANGELOG.md; a moved tag or a new commit touching the image writes the entry anew. Only git and Nx.
jest.setTimeout(600_000);

const CHANGELOG = 'images/variants/a/CHANGELOG.md';
const FIRST_RELEASE = '## 1.0.0 (2026-01-05)\n\n- First release.\n';
// "[local cache]" when Nx copies the outputs back; with the daemon, which tracks them, "[existing outputs match the cache, left as is]".
const fromCache = (result: CommandResult) =>
  result.output.includes('Nx read the output from the cache') && /\[(local cache|existing outputs match the cache, left as is)\]/.test(result.output);
/** CHANGELOG.md as committed: what the step adds its entry to. */
const restoreCommitted = (fixture: FixtureWorkspace) => fixture.git(['checkout', 'HEAD', '--', CHANGELOG]);

describe('release-changelog from the Nx cache', () => {
  let fixture: FixtureWorkspace;
  afterEach(() => fixture?.remove());

  it('the same state twice: one run, then hits that keep or restore the same entry; a moved tag or a new commit writes it anew', () => {
    fixture = createFixtureWorkspace({ git: true, release: true });
    // Released once, with its changelog, as every image of the repo is.
    commit(fixture, 'chore(release): publish', { [CHANGELOG]: FIRST_RELEASE });
    fixture.git(['tag', '--annotate', 'fx-a-v1.0.0', '--message', 'fx-a-v1.0.0']);
    commit(fixture, 'fix(fx-a): a v2', { 'images/variants/a/a.txt': 'a v2\n' });
    // As the version step leaves it.
    fixture.write('images/variants/a/VERSION', '1.0.1\n');

    const first = fixture.nx(['run', 'fx-a:release-changelog']);
    expect(first.code).toBe(0);
    expect(fromCache(first)).toBe(false);
    const written = fixture.read(CHANGELOG);
    expect(written).toMatch(/^## 1\.0\.1 \(\d{4}-\d\d-\d\d\)\n\n### Bug fixes\n\n- \*\*fx-a:\*\* a v2 \([0-9a-f]{7}\)\n\n## 1\.0\.0 /);

    const again = fixture.nx(['run', 'fx-a:release-changelog']);
    expect(again.code).toBe(0);
    expect(fromCache(again)).toBe(true);
    expect(fixture.read(CHANGELOG)).toBe(written);

    restoreCommitted(fixture);
    const restored = fixture.nx(['run', 'fx-a:release-changelog']);
    expect(restored.output).toContain('[local cache]');
    expect(fromCache(restored)).toBe(true);
    expect(fixture.read(CHANGELOG)).toBe(written);

    // The release tag moved past the fix: the step runs again, and the fix is no longer listed.
    restoreCommitted(fixture);
    fixture.git(['tag', '--force', '--annotate', 'fx-a-v1.0.0', '--message', 'fx-a-v1.0.0', 'HEAD']);
    const afterTagMoved = fixture.nx(['run', 'fx-a:release-changelog']);
    expect(afterTagMoved.code).toBe(0);
    expect(fromCache(afterTagMoved)).toBe(false);
    expect(fixture.read(CHANGELOG)).not.toContain('a v2');

    // A new commit touching the image runs it again, and lists the commit.
    restoreCommitted(fixture);
    commit(fixture, 'feat(fx-a): a gets a tool', { 'images/variants/a/a.txt': 'a v3\n' });
    fixture.write('images/variants/a/VERSION', '1.1.0\n');
    const afterCommit = fixture.nx(['run', 'fx-a:release-changelog']);
    expect(afterCommit.code).toBe(0);
    expect(fromCache(afterCommit)).toBe(false);
    expect(fixture.read(CHANGELOG)).toMatch(/^## 1\.1\.0 \(\d{4}-\d\d-\d\d\)\n\n### Features\n\n- \*\*fx-a:\*\* a gets a tool/);
  });
});
