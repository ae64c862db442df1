import { createFixtureWorkspace, type FixtureWorkspace } from '@taskforge/testing';

jest.setTimeout(120_000);

// The steps of a release run one by one, as a CI job would: version, changelog, commit, tag.
describe('per-image release steps', () => {
  let fixture: FixtureWorkspace;

  beforeAll(() => {
    fixture = createFixtureWorkspace({ git: true, release: true });
    fixture.git(['tag', '--annotate', 'fx-a-v1.0.0', '--message', 'fx-a-v1.0.0']);
  });

  afterAll(() => fixture?.remove());

  it('release-version, release-changelog and release-tag do for one image what nx release does', () => {
    fixture.write('images/variants/a/a.txt', 'a v2\n');
    fixture.git(['commit', '-qam', 'fix(fx-a): a v2']);

    const version = fixture.nx(['run', 'fx-a:release-version']);
    expect(version.code).toBe(0);
    expect(fixture.read('images/variants/a/VERSION')).toBe('1.0.1\n');
    expect(fixture.git(['tag', '--list']).stdout.trim()).toBe('fx-a-v1.0.0'); // no tag, no commit yet

    const changelog = fixture.nx(['run', 'fx-a:release-changelog']);
    expect(changelog.code).toBe(0);
    expect(fixture.read('images/variants/a/CHANGELOG.md')).toMatch(/^## 1\.0\.1 \(\d{4}-\d\d-\d\d\)\n\n### Bug fixes\n\n- \*\*fx-a:\*\* a v2 \([0-9a-f]{7}\)/);

    // A dirty tree is refused before tagging.
    const early = fixture.nx(['run', 'fx-a:release-tag']);
    expect(early.code).not.toBe(0);
    expect(early.output).toContain('[fx-a] ERROR: The working tree has uncommitted changes');

    fixture.git(['add', '-A']);
    fixture.git(['commit', '-qm', 'chore(release): fx-a 1.0.1']);
    const tag = fixture.nx(['run', 'fx-a:release-tag']);
    expect(tag.code).toBe(0);
    expect(tag.output).toMatch(/\[fx-a\] tagged [0-9a-f]{12} as fx-a-v1\.0\.1/);
    expect(fixture.git(['rev-parse', 'fx-a-v1.0.1^{commit}']).stdout).toBe(fixture.git(['rev-parse', 'HEAD']).stdout);
    expect(fixture.git(['cat-file', '-t', 'fx-a-v1.0.1']).stdout.trim()).toBe('tag');

    const again = fixture.nx(['run', 'fx-a:release-tag']);
    expect(again.code).toBe(0);
    expect(again.output).toContain('fx-a-v1.0.1 already tags HEAD');
  });
});
