import { appendFileSync } from 'node:fs';
import { engineClient, inspectLocalImage, pushImage } from '@taskforge/engine';
import { type CommandResult, createFixtureWorkspace, engineForTests, type FixtureWorkspace, removeImagesNamed, type ScratchRegistry, startScratchRegistry, tagDigest } from '@taskforge/testing';

// `nx release` end to end in a temporary git repository: real commits, real Nx release, real engine, and a registry of its own.
jest.setTimeout(240_000);

const VARIANTS = ['a', 'b'];

function versionOf(fixture: FixtureWorkspace, short: string): string {
  return fixture.read(`${short === 'base' ? 'images/base' : `images/variants/${short}`}/VERSION`).trim();
}

function tags(fixture: FixtureWorkspace): string[] {
  return fixture.git(['tag', '--list']).stdout.split('\n').filter(Boolean).sort();
}

function commit(fixture: FixtureWorkspace, message: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) fixture.write(path, content);
  fixture.git(['add', '-A']);
  const result = fixture.git(['commit', '-qm', message]);
  if (result.code !== 0) throw new Error(result.output);
}

function release(fixture: FixtureWorkspace, args: string[]): CommandResult {
  const result = fixture.nx(['release', ...args]);
  if (process.env.RELEASE_TEST_LOG) appendFileSync(process.env.RELEASE_TEST_LOG, `\n===== nx release ${args.join(' ')} (exit ${result.code})\n${result.output}`);
  return result;
}

/** The single NX error line of a failed command (the title Nx prints for a thrown error or a failed task). */
function errorLines(result: CommandResult): string[] {
  return result.output.split('\n').filter((line) => /ERROR:|^\s*NX\s{2,}/.test(line) && !/Running|Successfully|Previewing|Generating|Staging|Committing|Tagging|Skipped|Ran target/.test(line));
}

describe('nx release for images', () => {
  let fixture: FixtureWorkspace;
  let registry: ScratchRegistry;
  const repository = (short: string) => fixture.image(short);

  beforeAll(async () => {
    await engineForTests();
    registry = await startScratchRegistry(5071);
    fixture = createFixtureWorkspace({ git: true, release: true, registry: registry.address });
  });

  afterAll(async () => {
    await registry?.remove();
    if (fixture) await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture?.remove();
  });

  it('first release: every image at its VERSION, tagged, with a changelog entry, published as X.Y.Z, X.Y, X and latest at one digest', async () => {
    commit(fixture, 'feat(fx-base): base v2', { 'images/base/base.txt': 'base v2\n' });
    const result = release(fixture, ['--yes']);
    expect(result.code).toBe(0);
    expect(tags(fixture)).toEqual(['fx-a-v1.0.0', 'fx-b-v1.0.0', 'fx-base-v1.0.0']);
    expect(fixture.git(['cat-file', '-t', 'fx-base-v1.0.0']).stdout.trim()).toBe('tag'); // annotated
    expect(fixture.git(['log', '-1', '--format=%s']).stdout.trim()).toBe('chore(release): publish');
    expect(fixture.read('images/base/CHANGELOG.md')).toMatch(/^## 1\.0\.0 \(\d{4}-\d\d-\d\d\)\n\n### Features\n\n- \*\*fx-base:\*\* base v2 \([0-9a-f]{7}\)/);
    for (const short of ['base', ...VARIANTS]) {
      expect(versionOf(fixture, short)).toBe('1.0.0');
      const digests = await Promise.all(['1.0.0', '1.0', '1', 'latest'].map((tag) => tagDigest(registry.address, repository(short), tag)));
      expect(digests[0]).toMatch(/^sha256:/);
      expect(new Set(digests)).toEqual(new Set([digests[0]]));
      expect(result.output).toContain(`published ${registry.address}/${repository(short)}:1.0.0`);
    }
  });

  it('--dry-run prints the plan and changes nothing: files, commits, tags, engine images, registry', async () => {
    commit(fixture, 'fix(fx-base): base v3', { 'images/base/base.txt': 'base v3\n' });
    const head = fixture.git(['rev-parse', 'HEAD']).stdout;
    const tagsBefore = tags(fixture);
    const registryBefore = await registry.contents();

    const result = release(fixture, ['--dry-run', '--yes']);

    expect(result.code).toBe(0);
    expect(result.output).toContain('fx-base 📄 Resolved the specifier as "patch"');
    expect(result.output).toContain('New version 1.0.1 written to images/base/VERSION');
    expect(result.output).toContain(`publish pushes ${registry.address}/${repository('base')}:1.0.1, :1.0, :1, :latest`);
    expect(result.output).toMatch(/\+ ## 1\.0\.1 \(\d{4}-\d\d-\d\d\)/); // changelog preview
    expect(result.output).toContain(`dry run: would build or reuse ${repository('a')}:1.0.1`);
    expect(fixture.git(['status', '--porcelain']).stdout).toBe('');
    expect(fixture.git(['rev-parse', 'HEAD']).stdout).toBe(head);
    expect(tags(fixture)).toEqual(tagsBefore);
    expect(await registry.contents()).toEqual(registryBefore);
    expect(await inspectLocalImage(engineClient(), `${repository('base')}:1.0.1`)).toBeUndefined();
  });

  it('a fix on the base: base patch, a patch for every variant FROM it with its pin and changelog moved, task builds start FROM the new base', async () => {
    const result = release(fixture, ['--yes']);
    expect(result.code).toBe(0);
    expect(tags(fixture)).toEqual(expect.arrayContaining(['fx-base-v1.0.1', 'fx-a-v1.0.1', 'fx-b-v1.0.1']));
    expect(fixture.git(['show', '--name-only', '--format=', 'HEAD']).stdout.split('\n').filter(Boolean).sort()).toEqual(
      [
        'config/task-builds.json',
        'images/base/CHANGELOG.md',
        'images/base/VERSION',
        ...VARIANTS.flatMap((v) => [`images/variants/${v}/CHANGELOG.md`, `images/variants/${v}/Dockerfile`, `images/variants/${v}/VERSION`]),
      ].sort(),
    );
    expect(fixture.read('images/variants/a/Dockerfile')).toContain(`ARG BASE=${repository('base')}:1.0.1`);
    expect(fixture.read('images/variants/b/Dockerfile')).toContain(`FROM ${repository('base')}:1.0.1 AS base`);
    expect(fixture.read('images/variants/a/CHANGELOG.md')).toMatch(new RegExp(`^## 1\\.0\\.1 [^\\n]*\\n\\n### Base image\\n\\n- Built FROM ${repository('base')} 1\\.0\\.1\\n\\n## 1\\.0\\.0`));
    expect(JSON.parse(fixture.read('config/task-builds.json'))).toEqual({ defaultBaseImage: `${repository('base')}:1.0.1` });
    for (const short of ['base', ...VARIANTS]) {
      expect(versionOf(fixture, short)).toBe('1.0.1');
      const digest = await tagDigest(registry.address, repository(short), '1.0.1');
      expect(digest).toMatch(/^sha256:/);
      for (const line of ['1.0', '1', 'latest']) expect(await tagDigest(registry.address, repository(short), line)).toBe(digest);
      expect(await tagDigest(registry.address, repository(short), '1.0.0')).not.toBe(digest); // the old release stays
    }
  });

  it('a feat on one variant: that variant minor, nothing else', () => {
    commit(fixture, 'feat(fx-a): a gets a tool', { 'images/variants/a/a.txt': 'a v2\n' });
    const result = release(fixture, ['--yes']);
    expect(result.code).toBe(0);
    expect(versionOf(fixture, 'a')).toBe('1.1.0');
    expect(versionOf(fixture, 'base')).toBe('1.0.1');
    expect(versionOf(fixture, 'b')).toBe('1.0.1');
    expect(fixture.git(['tag', '--points-at', 'HEAD']).stdout.trim()).toBe('fx-a-v1.1.0');
  });

  it("a commit that touches only an image's README (outside every build context) releases nothing", () => {
    commit(fixture, 'fix(fx-a): README typo', { 'images/variants/a/README.md': '# a\n\nFixed typo.\n' });
    const head = fixture.git(['rev-parse', 'HEAD']).stdout;
    const result = release(fixture, ['--yes']);
    expect(result.code).toBe(0);
    expect(result.output).toContain('fx-a 🚫 No changes were detected');
    expect(versionOf(fixture, 'a')).toBe('1.1.0');
    expect(fixture.git(['rev-parse', 'HEAD']).stdout).toBe(head);
  });

  it('a breaking change: major, and 2.0.0 takes latest while the 1.x lines stay', async () => {
    commit(fixture, 'feat(fx-b)!: b drops the old layout\n\nBREAKING CHANGE: /b.txt moved', { 'images/variants/b/b.txt': 'b v2\n' });
    const result = release(fixture, ['--yes']);
    expect(result.code).toBe(0);
    expect(versionOf(fixture, 'b')).toBe('2.0.0');
    expect(fixture.read('images/variants/b/CHANGELOG.md')).toMatch(/^## 2\.0\.0 [^\n]*\n\n### ⚠ Breaking changes\n\n- \/b\.txt moved/);
    const digest = await tagDigest(registry.address, repository('b'), '2.0.0');
    expect(await tagDigest(registry.address, repository('b'), 'latest')).toBe(digest);
    expect(await tagDigest(registry.address, repository('b'), '1')).toBe(await tagDigest(registry.address, repository('b'), '1.0.1'));
  });

  it('refuses to start on a dirty tree, in one line, and changes nothing', () => {
    fixture.write('images/base/base.txt', 'uncommitted\n');
    const head = fixture.git(['rev-parse', 'HEAD']).stdout;
    const result = release(fixture, ['--yes']);
    expect(result.code).not.toBe(0);
    expect(errorLines(result)).toEqual([expect.stringContaining('The working tree has uncommitted changes (images/base/base.txt); a release is computed from commits only')]);
    expect(result.output).not.toMatch(/\n\s+at /);
    expect(fixture.git(['rev-parse', 'HEAD']).stdout).toBe(head);
    fixture.git(['checkout', '--', 'images/base/base.txt']);
  });

  it('refuses a release whose tag already exists', () => {
    commit(fixture, 'fix(fx-a): a v3', { 'images/variants/a/a.txt': 'a v3\n' });
    // Made elsewhere (a commit no branch here contains), so Nx does not read it as the current version.
    const elsewhere = fixture.git(['commit-tree', 'HEAD^{tree}', '-m', 'release made on another branch']).stdout.trim();
    fixture.git(['tag', 'fx-a-v1.1.1', elsewhere]);
    const result = release(fixture, ['--yes']);
    expect(result.code).not.toBe(0);
    expect(errorLines(result)).toEqual([expect.stringContaining('fx-a: tag fx-a-v1.1.1 already exists')]);
    expect(versionOf(fixture, 'a')).toBe('1.1.0');
    fixture.git(['tag', '-d', 'fx-a-v1.1.1']);
  });

  it('registry down during publish: one-line error, git consistent; the next `nx release publish` finishes without bumping again', async () => {
    await registry.stop();
    const failed = release(fixture, ['--yes']);
    await registry.start();
    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain(`[fx-a] ERROR: registry ${registry.address} is not reachable`);
    expect(versionOf(fixture, 'a')).toBe('1.1.1');
    expect(fixture.git(['tag', '--points-at', 'HEAD']).stdout.trim()).toBe('fx-a-v1.1.1');
    expect(fixture.git(['status', '--porcelain']).stdout).toBe('');
    expect(await tagDigest(registry.address, repository('a'), '1.1.1')).toBeUndefined();

    const resumed = release(fixture, ['publish']);
    expect(resumed.code).toBe(0);
    expect(versionOf(fixture, 'a')).toBe('1.1.1');
    const digest = await tagDigest(registry.address, repository('a'), '1.1.1');
    expect(digest).toMatch(/^sha256:/);
    expect(await tagDigest(registry.address, repository('a'), 'latest')).toBe(digest);
    expect(resumed.output).toContain(`[fx-base] already published: ${registry.address}/${repository('base')}:1.0.1`);
  });

  it('never replaces a published X.Y.Z that points to another image', async () => {
    commit(fixture, 'fix(fx-a): a v4', { 'images/variants/a/a.txt': 'a v4\n' });
    expect(release(fixture, ['--skip-publish']).code).toBe(0);
    // Someone pushed another image as 1.1.2 first.
    const docker = engineClient();
    const other = `${registry.address}/${repository('a')}:1.1.2`;
    await docker.getImage(`${repository('base')}:1.0.1`).tag({ repo: `${registry.address}/${repository('a')}`, tag: '1.1.2' });
    const squatter = (await pushImage(docker, other)).digest;

    const result = release(fixture, ['publish', '--projects=fx-a']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`[fx-a] ERROR: ${other} already exists as ${squatter}`);
    expect(await tagDigest(registry.address, repository('a'), '1.1.2')).toBe(squatter);
    expect(await tagDigest(registry.address, repository('a'), 'latest')).toBe(await tagDigest(registry.address, repository('a'), '1.1.1'));
  });

  it('pushes nothing for an image whose checks fail', async () => {
    commit(fixture, 'fix(fx-b): b must run as 1001', {
      'images/variants/b/image.json': JSON.stringify({ name: repository('b'), project: 'fx-b', description: 'fixture image b', checks: { user: 1001 } }, null, 2),
    });
    const result = release(fixture, ['--yes']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('[fx-b] ERROR: fx-b: test-image could not run its checks');
    expect(result.output).toContain('[fx-b] FAIL numeric USER');
    expect(versionOf(fixture, 'b')).toBe('2.0.1');
    expect(await tagDigest(registry.address, repository('b'), '2.0.1')).toBeUndefined();
    expect(await tagDigest(registry.address, repository('b'), 'latest')).toBe(await tagDigest(registry.address, repository('b'), '2.0.0'));
  });
});
