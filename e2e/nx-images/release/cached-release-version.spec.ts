import { commit, createFixtureWorkspace, type CommandResult, type FixtureWorkspace } from '@taskforge/testing';

// `nx run <image>:release-version` is cached by Nx on the git state it reads (the commits of the image and the
// images around it, its release tags, a clean tree): the same state again is a cache hit that restores the same
// files; a new commit touching the image or a parent bump runs it again. No engine or registry: only git and Nx.
jest.setTimeout(600_000);

/** Every file a release of fx-base writes: its VERSION, the variants' VERSION and pins, the task builds' base. */
const VERSION_FILES = ['images/base/VERSION', 'images/variants/a/VERSION', 'images/variants/a/Dockerfile', 'images/variants/b/VERSION', 'images/variants/b/Dockerfile', 'config/task-builds.json'];

const fromCache = (result: CommandResult) => result.output.includes('[local cache]') && result.output.includes('Nx read the output from the cache');
const snapshot = (fixture: FixtureWorkspace) => Object.fromEntries(VERSION_FILES.map((file) => [file, fixture.read(file)]));
/** Back to the committed files (the version step stages what it writes): the state it starts from, as it refuses a dirty tree. */
const restoreCommitted = (fixture: FixtureWorkspace) => fixture.git(['checkout', 'HEAD', '--', '.']);

describe('release-version from the Nx cache', () => {
  let fixture: FixtureWorkspace;
  afterEach(() => fixture?.remove());

  it('the same commits and tags twice: one run, then a hit with the same files; a commit touching the image or a parent bump runs it again, one to an unrelated image does not', () => {
    fixture = createFixtureWorkspace({ git: true, release: true });
    for (const tag of ['fx-base-v1.0.0', 'fx-a-v1.0.0', 'fx-b-v1.0.0']) fixture.git(['tag', '--annotate', tag, '--message', tag]);
    commit(fixture, 'fix(fx-base): base v2', { 'images/base/base.txt': 'base v2\n' });

    const first = fixture.nx(['run', 'fx-base:release-version']);
    expect(first.code).toBe(0);
    expect(fromCache(first)).toBe(false);
    const released = snapshot(fixture);
    expect(released['images/base/VERSION']).toBe('1.0.1\n');
    expect(released['images/variants/a/Dockerfile']).toContain(`ARG BASE=${fixture.image('base')}:1.0.1`);
    expect(JSON.parse(released['config/task-builds.json'])).toEqual({ defaultBaseImage: `${fixture.image('base')}:1.0.1` });

    restoreCommitted(fixture);
    expect(fixture.read('images/base/VERSION')).toBe('1.0.0\n');
    const again = fixture.nx(['run', 'fx-base:release-version']);
    expect(again.code).toBe(0);
    expect(fromCache(again)).toBe(true);
    expect(snapshot(fixture)).toEqual(released);

    // A variant's own step, cached, then a commit to the other variant: not built FROM fx-a, so still a hit.
    restoreCommitted(fixture);
    expect(fromCache(fixture.nx(['run', 'fx-a:release-version']))).toBe(false);
    restoreCommitted(fixture);
    commit(fixture, 'fix(fx-b): b v2', { 'images/variants/b/b.txt': 'b v2\n' });
    expect(fromCache(fixture.nx(['run', 'fx-a:release-version']))).toBe(true);

    // A parent bump: the base released as 1.0.1 (its release commit and tag) runs fx-a's step again.
    restoreCommitted(fixture);
    commit(fixture, 'chore(release): publish', { 'images/base/VERSION': '1.0.1\n' });
    fixture.git(['tag', '--annotate', 'fx-base-v1.0.1', '--message', 'fx-base-v1.0.1']);
    const afterParent = fixture.nx(['run', 'fx-a:release-version']);
    expect(afterParent.code).toBe(0);
    expect(fromCache(afterParent)).toBe(false);

    // A new commit touching the image runs it again, and the bump follows the commit.
    restoreCommitted(fixture);
    commit(fixture, 'feat(fx-a): a gets a tool', { 'images/variants/a/a.txt': 'a v2\n' });
    const afterCommit = fixture.nx(['run', 'fx-a:release-version']);
    expect(afterCommit.code).toBe(0);
    expect(fromCache(afterCommit)).toBe(false);
    expect(fixture.read('images/variants/a/VERSION')).toBe('1.1.0\n');
  });
});
