import { commit, createFixtureWorkspace, type CommandResult, type FixtureWorkspace } from '@taskforge/testing';

// `nx run <image>:release-tag` is cached by Nx only while its tag exists: its inputs hold the commit the tag points to
// (and something new every time the tag is missing), so a replay never claims a tag that is not there. Only git and Nx.
jest.setTimeout(600_000);

const fromCache = (result: CommandResult) => result.output.includes('Nx read the output from the cache');
const tagCommit = (fixture: FixtureWorkspace, tag: string) => fixture.git(['rev-parse', '-q', '--verify', `refs/tags/${tag}^{commit}`]).stdout.trim();
const head = (fixture: FixtureWorkspace) => fixture.git(['rev-parse', 'HEAD']).stdout.trim();

describe('release-tag from the Nx cache', () => {
  let fixture: FixtureWorkspace;
  afterEach(() => fixture?.remove());

  it('tags once, is a hit while the tag stays, and tags again when the tag is deleted; a moved tag runs it again', () => {
    fixture = createFixtureWorkspace({ git: true, release: true });

    const tagged = fixture.nx(['run', 'fx-a:release-tag']);
    expect(tagged.code).toBe(0);
    expect(tagged.output).toMatch(/\[fx-a\] tagged [0-9a-f]{12} as fx-a-v1\.0\.0/);
    expect(tagCommit(fixture, 'fx-a-v1.0.0')).toBe(head(fixture));

    // The tag exists now: one run confirms it, then the same state is a hit.
    const confirmed = fixture.nx(['run', 'fx-a:release-tag']);
    expect(fromCache(confirmed)).toBe(false);
    expect(confirmed.output).toContain('fx-a-v1.0.0 already tags HEAD');
    const replayed = fixture.nx(['run', 'fx-a:release-tag']);
    expect(fromCache(replayed)).toBe(true);
    expect(replayed.output).toContain('fx-a-v1.0.0 already tags HEAD');

    // Deleted: no replay of "already tags HEAD"; the step tags again.
    fixture.git(['tag', '--delete', 'fx-a-v1.0.0']);
    const retagged = fixture.nx(['run', 'fx-a:release-tag']);
    expect(retagged.code).toBe(0);
    expect(fromCache(retagged)).toBe(false);
    expect(retagged.output).toMatch(/\[fx-a\] tagged [0-9a-f]{12} as fx-a-v1\.0\.0/);
    expect(tagCommit(fixture, 'fx-a-v1.0.0')).toBe(head(fixture));

    // Moved to a later commit: the step runs again and says where the tag is, leaving it there.
    const tagged1 = head(fixture);
    commit(fixture, 'docs(fx-a): notes', { 'images/variants/a/README.md': '# a\n\nNotes.\n' });
    fixture.git(['tag', '--force', '--annotate', 'fx-a-v1.0.0', '--message', 'fx-a-v1.0.0', 'HEAD']);
    fixture.git(['checkout', '-q', tagged1]);
    const moved = fixture.nx(['run', 'fx-a:release-tag']);
    expect(moved.code).toBe(0);
    expect(fromCache(moved)).toBe(false);
    expect(moved.output).toContain(`fx-a-v1.0.0 already exists (commit ${tagCommit(fixture, 'fx-a-v1.0.0').slice(0, 12)}): nothing to do`);
  });
});
