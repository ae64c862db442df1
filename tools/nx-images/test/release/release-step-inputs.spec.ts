import type { CreateNodesContext, NxJsonConfiguration, TargetConfiguration } from '@nx/devkit';
import { spawnSync } from 'node:child_process';
import { createNodes } from '../../src';
import { createFixtureWorkspace, type FixtureWorkspace } from '@taskforge/testing';

// The cache inputs of the per-image release steps, evaluated the way Nx evaluates runtime inputs (a shell command in
// the workspace root whose output is hashed), against a real git repository: which changes of git state change
// them, and which do not. End to end through Nx's cache: e2e/nx-images/release/cached-*.spec.ts.

const files = ['images/base/image.json', 'images/variants/a/image.json', 'images/variants/b/image.json'];
const options = { registry: 'localhost:5000', inRepoPrefixes: ['fx-'] };

async function releaseTargets(fixture: FixtureWorkspace): Promise<Record<string, Record<string, TargetConfiguration>>> {
  const nxJson = JSON.parse(fixture.read('nx.json')) as NxJsonConfiguration;
  const context = { workspaceRoot: fixture.root, nxJsonConfiguration: nxJson } as CreateNodesContext;
  const targets: Record<string, Record<string, TargetConfiguration>> = {};
  for (const [, result] of await createNodes[1](files, options, context)) {
    for (const project of Object.values(result.projects ?? {})) targets[project.name!] = project.targets!;
  }
  return targets;
}

/** What the target's runtime inputs print now: the values Nx hashes. */
function runtimeValues(target: TargetConfiguration, root: string): string[] {
  return (target.inputs ?? [])
    .filter((input): input is { runtime: string } => typeof input === 'object' && 'runtime' in input)
    .map(({ runtime }) => {
      const result = spawnSync('sh', ['-c', runtime], { cwd: root, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`${runtime} failed: ${result.stderr}`);
      return result.stdout;
    });
}

function commit(fixture: FixtureWorkspace, message: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) fixture.write(path, content);
  fixture.git(['add', '-A']);
  const result = fixture.git(['commit', '-qm', message]);
  if (result.code !== 0) throw new Error(result.output);
}

const tag = (fixture: FixtureWorkspace, name: string, at = 'HEAD') => fixture.git(['tag', '--force', '--annotate', name, '--message', name, at]);

describe('release step cache inputs', () => {
  let fixture: FixtureWorkspace;
  let targets: Record<string, Record<string, TargetConfiguration>>;
  beforeEach(async () => {
    fixture = createFixtureWorkspace({ git: true, release: true });
    targets = await releaseTargets(fixture);
  });
  afterEach(() => fixture.remove());

  it('the version step keeps, besides VERSION, every file it rewrites: the pins of the images built FROM the image, and the task builds’ base', () => {
    expect(targets['fx-base']['release-version'].outputs).toEqual([
      '{projectRoot}/VERSION',
      '{workspaceRoot}/images/variants/a/VERSION',
      '{workspaceRoot}/images/variants/a/image.json',
      '{workspaceRoot}/images/variants/a/Dockerfile',
      '{workspaceRoot}/images/variants/b/VERSION',
      '{workspaceRoot}/images/variants/b/image.json',
      '{workspaceRoot}/images/variants/b/Dockerfile',
      '{workspaceRoot}/config/task-builds.json',
    ]);
    expect(targets['fx-a']['release-version'].outputs).toEqual(['{projectRoot}/VERSION']);
    expect(targets['fx-a']['release-changelog'].outputs).toEqual(['{projectRoot}/CHANGELOG.md']);
  });

  it('a commit changes the steps of the images it touches, of the images built FROM them, and of their parents; not of unrelated images', () => {
    const before = { a: runtimeValues(targets['fx-a']['release-version'], fixture.root), base: runtimeValues(targets['fx-base']['release-version'], fixture.root) };
    commit(fixture, 'fix(fx-b): b v2', { 'images/variants/b/b.txt': 'b v2\n' });
    // fx-b is built FROM the base, not FROM fx-a: only the base's release (which moves fx-b) reads it.
    expect(runtimeValues(targets['fx-a']['release-version'], fixture.root)).toEqual(before.a);
    expect(runtimeValues(targets['fx-base']['release-version'], fixture.root)).not.toEqual(before.base);

    const afterB = runtimeValues(targets['fx-a']['release-changelog'], fixture.root);
    commit(fixture, 'chore(release): fx-base 1.0.1', { 'images/base/VERSION': '1.0.1\n' });
    expect(runtimeValues(targets['fx-a']['release-changelog'], fixture.root)).not.toEqual(afterB);

    const afterBase = runtimeValues(targets['fx-a']['release-version'], fixture.root);
    commit(fixture, 'build: a root file, which Nx counts for every project', { 'tsconfig.base.json': '{"compilerOptions":{},"files":["workspace.d.ts"]}\n' });
    expect(runtimeValues(targets['fx-a']['release-version'], fixture.root)).not.toEqual(afterBase);
  });

  it("a new, moved or deleted release tag of the image changes its steps; another image's tag does not", () => {
    const changelog = () => runtimeValues(targets['fx-a']['release-changelog'], fixture.root);
    const first = changelog();
    tag(fixture, 'fx-b-v1.0.0');
    expect(changelog()).toEqual(first);
    tag(fixture, 'fx-a-v1.0.0');
    const tagged = changelog();
    expect(tagged).not.toEqual(first);
    commit(fixture, 'docs: notes', { 'notes.md': 'notes\n' });
    const afterCommit = changelog();
    tag(fixture, 'fx-a-v1.0.0');
    expect(changelog()).not.toEqual(afterCommit);
    fixture.git(['tag', '--delete', 'fx-a-v1.0.0']);
    expect(changelog()).not.toEqual(tagged);
  });

  it('the version step also hashes the working tree: it starts from a clean one, so a dirty tree is never a hit', () => {
    const clean = runtimeValues(targets['fx-a']['release-version'], fixture.root);
    fixture.write('images/variants/a/a.txt', 'edited\n');
    expect(runtimeValues(targets['fx-a']['release-version'], fixture.root)).not.toEqual(clean);
  });

  it('the tag step hashes the commit its tag points to, and something new each time while the tag does not exist', () => {
    const tagStep = () => runtimeValues(targets['fx-a']['release-tag'], fixture.root).join('');
    // No tag yet: never the same twice, so a step that tagged once is not replayed after the tag is deleted.
    expect(tagStep()).not.toEqual(tagStep());
    tag(fixture, 'fx-a-v1.0.0');
    const tagged = tagStep();
    expect(tagStep()).toEqual(tagged);
    expect(tagged).toContain(fixture.git(['rev-parse', 'fx-a-v1.0.0^{commit}']).stdout.trim());
    commit(fixture, 'docs: notes', { 'notes.md': 'notes\n' });
    tag(fixture, 'fx-a-v1.0.0');
    expect(tagStep()).not.toEqual(tagged);
    fixture.git(['tag', '--delete', 'fx-a-v1.0.0']);
    expect(tagStep()).not.toEqual(tagStep());
  });

  it('the tag step describes the tag nx.json names', () => {
    expect(targets['fx-a']['release-tag'].metadata?.description).toBe(
      'Tag HEAD as fx-a-v<VERSION> (annotated) unless that tag exists; replayed from the cache only while the tag exists',
    );
  });
});
