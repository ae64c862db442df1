import { readNxJson, updateNxJson, type ProjectGraph, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { UserError } from '@taskforge/user-errors';
import ImageVersionActions, { isDryRun, type ReleaseGitState } from '../../src/release/version-actions';

// Unit tests of the release logic on Nx's in-memory tree: no engine, no network, no git, no `nx` process.
// The end-to-end spec (e2e/nx-images/release/) runs the same behaviours through a real `nx release`.

const REGISTRY = 'registry.test:5000';
const COMMIT_A = 'a'.repeat(40);
const COMMIT_B = 'b'.repeat(40);

/**
 * In-memory stand-in for the repository's git state (ReleaseGitState): the tags
 * that exist (name -> commit) and the paths with uncommitted changes. It counts
 * the working-tree checks so tests can see when validate asks for one.
 */
function memoryGit(tags: Record<string, string> = {}, uncommitted: string[] = []): ReleaseGitState & { cleanChecks: number } {
  const git = {
    cleanChecks: 0,
    listTags: () => Object.keys(tags),
    tagCommit: (_root: string, tag: string) => tags[tag],
    assertCleanWorkingTree: () => {
      git.cleanChecks += 1;
      if (uncommitted.length) throw new UserError(`The working tree has uncommitted changes (${uncommitted.join(', ')}); commit them.`);
    },
  };
  return git;
}

interface ImageSpec {
  project: string;
  root: string;
  definition: Record<string, unknown>;
  dockerfile: string;
}

const BASE: ImageSpec = { project: 'agent-base', root: 'images/base', definition: { name: 'openclaw-base', project: 'agent-base', description: 'base' }, dockerfile: 'FROM debian:bookworm-slim\n' };
/** FROM the base through an ARG default. */
const GO: ImageSpec = {
  project: 'agent-go',
  root: 'images/variants/go',
  definition: { name: 'openclaw-agent-go', project: 'agent-go', description: 'go' },
  dockerfile: 'ARG BASE_IMAGE=openclaw-base:1.0.0\nFROM ${BASE_IMAGE}\nRUN apt-get install -y golang\n',
};
/** FROM the base directly (a named stage), and a COPY --from it. */
const PY: ImageSpec = {
  project: 'agent-py',
  root: 'images/variants/py',
  definition: { name: 'openclaw-agent-py', project: 'agent-py', description: 'py' },
  dockerfile: 'FROM openclaw-base:1.0.0 AS base\nFROM base\nCOPY --from=openclaw-base:1.0.0 /etc/os-release /tmp/os-release\n',
};
/** FROM the base through image.json buildArgs; another image pinned next to it must stay. */
const NODE: ImageSpec = {
  project: 'agent-node',
  root: 'images/variants/node',
  definition: { name: 'openclaw-agent-node', project: 'agent-node', description: 'node', buildArgs: { BASE_IMAGE: 'openclaw-base:1.0.0', NODE_IMAGE: 'node:22.1.0' } },
  dockerfile: 'ARG BASE_IMAGE\nARG NODE_IMAGE\nFROM ${NODE_IMAGE} AS node\nFROM ${BASE_IMAGE}\nCOPY --from=node /usr/local/bin/node /usr/local/bin/node\n',
};
/** Names the base only in ways that are no version pin: a digest, another image whose name starts alike. */
const LOOSE: ImageSpec = {
  project: 'agent-loose',
  root: 'images/variants/loose',
  definition: { name: 'openclaw-agent-loose', project: 'agent-loose', description: 'loose', buildArgs: { BASE_IMAGE: 'openclaw-base:latest' } },
  dockerfile: `FROM openclaw-base@sha256:${'c'.repeat(64)}\nCOPY --from=openclaw-base-extra:1.0.0 /x /x\n`,
};
const IMAGES = [BASE, GO, PY, NODE, LOOSE];

/** The repo's layout in miniature: a base, variants FROM it, the task-build defaults, the plugin's registry in nx.json. */
function imageWorkspace(options: { taskBuilds?: object | null } = {}): Tree {
  const tree = createTreeWithEmptyWorkspace();
  updateNxJson(tree, { ...readNxJson(tree), plugins: [{ plugin: '@taskforge/nx-images', options: { registry: REGISTRY, inRepoPrefixes: ['openclaw-'] } }] });
  for (const image of IMAGES) {
    tree.write(`${image.root}/image.json`, `${JSON.stringify(image.definition, null, 2)}\n`);
    tree.write(`${image.root}/VERSION`, '1.0.0\n');
    tree.write(`${image.root}/Dockerfile`, image.dockerfile);
  }
  const taskBuilds = options.taskBuilds === undefined ? { $schema: './task-builds.schema.json', defaultBaseImage: 'openclaw-base:1.0.0' } : options.taskBuilds;
  if (taskBuilds) tree.write('config/task-builds.json', `${JSON.stringify(taskBuilds, null, 2)}\n`);
  return tree;
}

/** The project graph the plugin gives Nx: image projects, variants depending on the base. */
function imageGraph(): ProjectGraph {
  const nodes: ProjectGraph['nodes'] = {};
  const dependencies: ProjectGraph['dependencies'] = {};
  for (const image of IMAGES) {
    nodes[image.project] = { name: image.project, type: 'app', data: { root: image.root, projectType: 'application', tags: ['type:image'] } };
    dependencies[image.project] = image === BASE ? [] : [{ source: image.project, target: BASE.project, type: 'static' }];
  }
  return { nodes, dependencies };
}

type NxArgs = ConstructorParameters<typeof ImageVersionActions>;

/**
 * Constructed as Nx does (resolveVersionActionsForProject: the three arguments, then init), plus the git stand-in.
 * `group` is the release group Nx resolves from nx.json: this repo's by default (independent, tag pattern {projectName}-v{version}).
 */
async function versionActionsFor(
  tree: Tree,
  image: ImageSpec,
  git: ReleaseGitState,
  group: { name: string; pattern: string } = { name: '__default__', pattern: '{projectName}-v{version}' },
  argv: readonly string[] = ['node', 'nx', 'release', '--yes'],
): Promise<ImageVersionActions> {
  // Only what VersionActions reads is typed out.
  const releaseGroup = {
    name: group.name,
    projects: IMAGES.map((each) => each.project),
    projectsRelationship: 'independent',
    releaseTag: { pattern: group.pattern },
    resolvedVersionPlans: false,
  } as unknown as NxArgs[0];
  const finalConfig = {
    specifierSource: 'conventional-commits',
    currentVersionResolver: 'git-tag',
    currentVersionResolverMetadata: {},
    fallbackCurrentVersionResolver: 'disk',
    versionPrefix: 'auto',
    preserveLocalDependencyProtocols: true,
    preserveMatchingDependencyRanges: false,
    adjustSemverBumpsForZeroMajorVersion: false,
    applyPreidToDependents: true,
    versionActionsOptions: {},
    manifestRootsToUpdate: [],
    dockerOptions: {},
  } as NxArgs[2];
  const actions = new ImageVersionActions(releaseGroup, imageGraph().nodes[image.project], finalConfig, git, argv);
  await actions.init(tree);
  return actions;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** Runs `action` and returns it with the paths whose content it changed (every file of the in-memory tree counts as a change, so compare contents). */
async function filesChangedBy<T>(tree: Tree, action: () => Promise<T>): Promise<{ result: T; changed: string[] }> {
  const snapshot = () => new Map(tree.listChanges().map((change) => [change.path, change.type === 'DELETE' ? null : change.content?.toString('utf-8')]));
  const before = snapshot();
  const result = await action();
  const after = snapshot();
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((path) => before.get(path) !== after.get(path)).sort();
  return { result, changed };
}

describe('ImageVersionActions on the in-memory tree', () => {
  // The registry in logs comes from nx.json unless IMAGE_REGISTRY overrides it; keep the host's setting out.
  const savedRegistry = process.env.IMAGE_REGISTRY;
  beforeEach(() => delete process.env.IMAGE_REGISTRY);
  afterAll(() => {
    if (savedRegistry !== undefined) process.env.IMAGE_REGISTRY = savedRegistry;
  });

  describe('current version (VERSION file)', () => {
    it('reads the version from the image’s VERSION file, whitespace trimmed', async () => {
      const tree = imageWorkspace();
      tree.write('images/variants/go/VERSION', '  1.4.2\n\n');
      const actions = await versionActionsFor(tree, GO, memoryGit());
      expect(actions.validManifestFilenames).toEqual(['VERSION']);
      expect(await actions.readCurrentVersionFromSourceManifest(tree)).toEqual({ currentVersion: '1.4.2', manifestPath: 'images/variants/go/VERSION' });
    });

    it.each([
      ['one.two\n', 'images/variants/go/VERSION: "one.two" is not a semantic version; write one such as 1.0.0.'],
      ['v1.0\n', 'images/variants/go/VERSION: "v1.0" is not a semantic version; write one such as 1.0.0.'],
      ['', 'images/variants/go/VERSION: "" is not a semantic version; write one such as 1.0.0.'],
    ])('a bad VERSION (%j) is a one-line user error naming the file', async (text, message) => {
      const tree = imageWorkspace();
      tree.write('images/variants/go/VERSION', text);
      const actions = await versionActionsFor(tree, GO, memoryGit());
      const error = await rejection(actions.readCurrentVersionFromSourceManifest(tree));
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toBe(message);
      expect(error.message).not.toContain('\n');
    });

    it('a missing VERSION is a one-line user error naming the file', async () => {
      const tree = imageWorkspace();
      tree.delete('images/variants/go/VERSION');
      const actions = await versionActionsFor(tree, GO, memoryGit());
      const error = await rejection(actions.readCurrentVersionFromSourceManifest(tree));
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toBe("images/variants/go/VERSION is missing: create it with the image's semantic version, e.g. 1.0.0.");
    });

    it('never asks a registry: released versions are git tags', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit());
      expect(await actions.readCurrentVersionFromRegistry()).toBeNull();
    });
  });

  describe('validate', () => {
    it('checks the working tree once per release (not per project), then that VERSION still exists', async () => {
      const tree = imageWorkspace();
      const git = memoryGit();
      await (await versionActionsFor(tree, BASE, git)).validate(tree);
      await (await versionActionsFor(tree, GO, git)).validate(tree);
      expect(git.cleanChecks).toBe(1);

      // Nx inits every project's actions first, then validates after its preVersionCommands (which could remove a VERSION).
      const py = await versionActionsFor(tree, PY, git);
      tree.delete('images/variants/py/VERSION');
      const error = await rejection(py.validate(tree));
      expect(error.message).toContain('The project "agent-py" does not have a VERSION file available in images/variants/py');
    });

    it('a dirty working tree stops the release with the one-line error of the git check', async () => {
      const tree = imageWorkspace();
      const git = memoryGit({}, ['images/base/base.txt']);
      const error = await rejection((await versionActionsFor(tree, BASE, git)).validate(tree));
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toContain('uncommitted changes (images/base/base.txt)');
    });

    it('a dry run on a dirty tree (an untracked file, say) plans, and says a release would stop there', async () => {
      const tree = imageWorkspace();
      const git = memoryGit({}, ['notes.txt']);
      const warnings: string[] = [];
      const warn = jest.spyOn(console, 'warn').mockImplementation((line: string) => void warnings.push(line));
      try {
        await (await versionActionsFor(tree, BASE, git, undefined, ['node', 'nx', 'release', '--dry-run'])).validate(tree);
      } finally {
        warn.mockRestore();
      }
      expect(warnings).toEqual(['Dry run on a working tree with uncommitted changes (notes.txt): a release would stop here until they are committed or stashed; the plan goes on from the commits.']);
    });

    it.each([
      [['release', '--dry-run'], true],
      [['release', '-d'], true],
      [['release', '--dryRun'], true],
      [['release', '--dry-run=true'], true],
      [['release', '--yes'], false],
      [['release', '--dry-run=false'], false],
      [['release', 'patch'], false],
    ])('reads a dry run from the command line: %j -> %s', (args, expected) => {
      expect(isDryRun(['node', 'nx', ...args])).toBe(expected);
    });
  });

  describe('writing a new version', () => {
    it('writes VERSION and says which git tag and registry references the release gets', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit({ 'agent-go-v1.0.0': COMMIT_A }));
      const { result: logs, changed } = await filesChangedBy(tree, () => actions.updateProjectVersion(tree, '1.0.1'));
      expect(changed).toEqual(['images/variants/go/VERSION']);
      expect(tree.read('images/variants/go/VERSION', 'utf-8')).toBe('1.0.1\n');
      expect(logs).toEqual([
        '✍️  New version 1.0.1 written to images/variants/go/VERSION',
        `🏷️  Git tag agent-go-v1.0.1; publish pushes ${REGISTRY}/openclaw-agent-go:1.0.1, :1.0, :1, :latest`,
      ]);
    });

    it('a hotfix of an older line moves only that line’s tag, not X or latest', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit({ 'agent-go-v1.0.1': COMMIT_A, 'agent-go-v1.1.0': COMMIT_B }));
      const logs = await actions.updateProjectVersion(tree, '1.0.2');
      expect(logs[1]).toBe(`🏷️  Git tag agent-go-v1.0.2; publish pushes ${REGISTRY}/openclaw-agent-go:1.0.2, :1.0`);
    });

    it('IMAGE_REGISTRY overrides the registry of nx.json in what publish will push', async () => {
      process.env.IMAGE_REGISTRY = 'mirror.test/';
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit());
      expect((await actions.updateProjectVersion(tree, '1.0.0'))[1]).toBe('🏷️  Git tag agent-go-v1.0.0; publish pushes mirror.test/openclaw-agent-go:1.0.0, :1.0, :1, :latest');
    });

    it('says it once when Nx applies the same version twice (an image both bumped and a dependent)', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit());
      expect(await actions.updateProjectVersion(tree, '1.0.1')).toHaveLength(2);
      expect(await actions.updateProjectVersion(tree, '1.0.1')).toEqual([]);
      expect(tree.read('images/variants/go/VERSION', 'utf-8')).toBe('1.0.1\n');
    });
  });

  describe('task builds default base image (config/task-builds.json)', () => {
    it('moves to the new version when the base it names is released, other fields kept', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, BASE, memoryGit({ 'agent-base-v1.0.0': COMMIT_A }));
      const { result: logs, changed } = await filesChangedBy(tree, () => actions.updateProjectVersion(tree, '1.0.1'));
      expect(changed).toEqual(['config/task-builds.json', 'images/base/VERSION']);
      expect(tree.read('config/task-builds.json', 'utf-8')).toBe(`${JSON.stringify({ $schema: './task-builds.schema.json', defaultBaseImage: 'openclaw-base:1.0.1' }, null, 2)}\n`);
      expect(logs).toContain('✍️  Task builds now start FROM openclaw-base:1.0.1 (config/task-builds.json)');
    });

    it('stays untouched when another image is released', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit());
      const { result: logs, changed } = await filesChangedBy(tree, () => actions.updateProjectVersion(tree, '1.1.0'));
      expect(changed).toEqual(['images/variants/go/VERSION']);
      expect(logs.join('\n')).not.toContain('Task builds');
    });

    it('stays untouched when it names another image than the base released', async () => {
      const tree = imageWorkspace({ taskBuilds: { defaultBaseImage: 'openclaw-agent-go:1.0.0' } });
      const actions = await versionActionsFor(tree, BASE, memoryGit());
      const { changed } = await filesChangedBy(tree, () => actions.updateProjectVersion(tree, '2.0.0'));
      expect(changed).toEqual(['images/base/VERSION']);
    });

    it('is not created in a workspace that has none', async () => {
      const tree = imageWorkspace({ taskBuilds: null });
      await (await versionActionsFor(tree, BASE, memoryGit())).updateProjectVersion(tree, '1.0.1');
      expect(tree.exists('config/task-builds.json')).toBe(false);
    });
  });

  describe('dependents (images built FROM a released image)', () => {
    it.each([
      ['an ARG default', GO, '1.0.0'],
      ['a FROM line', PY, '1.0.0'],
      ['image.json buildArgs', NODE, '1.0.0'],
      ['only a digest and another image (no version pin)', LOOSE, null],
    ])('read the version they pin the base to through %s', async (_how, image, pinned) => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, image, memoryGit());
      expect(await actions.readCurrentVersionOfDependency(tree, imageGraph(), BASE.project)).toEqual({ currentVersion: pinned, dependencyCollection: 'FROM' });
    });

    it('an ARG default pin moves to the new version of the base', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit());
      const logs = await actions.updateProjectDependencies(tree, imageGraph(), { [BASE.project]: '1.0.1' });
      expect(tree.read('images/variants/go/Dockerfile', 'utf-8')).toBe('ARG BASE_IMAGE=openclaw-base:1.0.1\nFROM ${BASE_IMAGE}\nRUN apt-get install -y golang\n');
      expect(logs).toEqual(['✍️  images/variants/go/Dockerfile:1 now builds FROM openclaw-base:1.0.1']);
    });

    it('FROM and COPY --from pins move together', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, PY, memoryGit());
      const logs = await actions.updateProjectDependencies(tree, imageGraph(), { [BASE.project]: '2.0.0' });
      expect(tree.read('images/variants/py/Dockerfile', 'utf-8')).toBe('FROM openclaw-base:2.0.0 AS base\nFROM base\nCOPY --from=openclaw-base:2.0.0 /etc/os-release /tmp/os-release\n');
      expect(logs).toEqual(['✍️  images/variants/py/Dockerfile:1,3 now builds FROM openclaw-base:2.0.0']);
    });

    it('an image.json buildArgs pin moves; other build args and the file as written stay', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, NODE, memoryGit());
      const logs = await actions.updateProjectDependencies(tree, imageGraph(), { [BASE.project]: '1.0.1' });
      // As written plus the new pin: no parsed defaults (dockerfile, checks) added.
      expect(tree.read('images/variants/node/image.json', 'utf-8')).toBe(
        `${JSON.stringify({ ...NODE.definition, buildArgs: { BASE_IMAGE: 'openclaw-base:1.0.1', NODE_IMAGE: 'node:22.1.0' } }, null, 2)}\n`,
      );
      expect(tree.read('images/variants/node/Dockerfile', 'utf-8')).toBe(NODE.dockerfile);
      expect(logs).toEqual(['✍️  images/variants/node/image.json buildArgs.BASE_IMAGE now openclaw-base:1.0.1']);
    });

    it('digests and references to other images stay', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, LOOSE, memoryGit());
      const logs = await actions.updateProjectDependencies(tree, imageGraph(), { [BASE.project]: '1.0.1' });
      expect(tree.read('images/variants/loose/Dockerfile', 'utf-8')).toBe(LOOSE.dockerfile);
      expect(JSON.parse(tree.read('images/variants/loose/image.json', 'utf-8')!)).toEqual(LOOSE.definition);
      expect(logs).toEqual([]);
    });

    it('pins already at the new version: nothing to say, image.json not rewritten', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, NODE, memoryGit());
      const { result: logs, changed } = await filesChangedBy(tree, () => actions.updateProjectDependencies(tree, imageGraph(), { [BASE.project]: '1.0.0' }));
      expect(logs).toEqual([]);
      expect(changed).toEqual([]);
    });
  });

  describe('choosing the new version', () => {
    it('first release (no tag of the image yet): the version VERSION names, whatever the commits say', async () => {
      const tree = imageWorkspace();
      // Tags of other images do not count.
      const actions = await versionActionsFor(tree, GO, memoryGit({ 'agent-base-v1.0.0': COMMIT_A }));
      expect(await actions.calculateNewVersion('1.0.0', 'minor', 'CONVENTIONAL_COMMITS', {}, '')).toEqual({
        newVersion: '1.0.0',
        logText: '🆕 First release of agent-go: 1.0.0, as its VERSION file says (no agent-go-v* tag yet)',
      });
    });

    it('first release asked again (Nx does, for an image that is also a dependent of a bumped one): announced once', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit());
      const first = await actions.calculateNewVersion('1.0.0', 'patch', 'CONVENTIONAL_COMMITS', {}, '');
      const again = await actions.calculateNewVersion('1.0.0', 'patch', 'DEPENDENCY_WAS_BUMPED', {}, '');
      expect([first.newVersion, again.newVersion]).toEqual(['1.0.0', '1.0.0']);
      expect(first.logText).toMatch(/^🆕 First release of agent-go: 1\.0\.0/);
      expect(again.logText).toBe('↪ An image it is built FROM is released too; still its first release at 1.0.0');
    });

    it('first release with an explicit version: that version', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit());
      const { newVersion } = await actions.calculateNewVersion('1.0.0', '2.0.0', 'USER_SPECIFIER', {}, '');
      expect(newVersion).toBe('2.0.0');
    });

    it('after a release: Nx’s semver bump from the current version', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit({ 'agent-go-v1.0.0': COMMIT_A }));
      expect(await actions.calculateNewVersion('1.0.0', 'patch', 'CONVENTIONAL_COMMITS', {}, '')).toEqual({
        newVersion: '1.0.1',
        logText: '❓ Applied semver relative bump "patch", derived from conventional commits data, to get new version 1.0.1',
      });
    });

    it.each([
      ['a bump', 'patch', 'CONVENTIONAL_COMMITS', '1.0.1', COMMIT_B],
      ['an explicit version', '1.0.0', 'USER_SPECIFIER', '1.0.0', COMMIT_A],
    ])('refuses %s whose release tag already exists, in one line', async (_what, input, reason, version, commit) => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit({ 'agent-go-v1.0.0': COMMIT_A, 'agent-go-v1.0.1': COMMIT_B }));
      const error = await rejection(actions.calculateNewVersion('1.0.0', input, reason, {}, ''));
      expect(error).toBeInstanceOf(UserError);
      expect(error.message).toBe(
        `agent-go: tag agent-go-v${version} already exists (commit ${commit.slice(0, 12)}), so ${version} was released before: release a higher version (\`npx nx release <version> --projects=agent-go\`), or delete the tag if that release never happened.`,
      );
      expect(error.message).not.toContain('\n');
      expect(tree.read('images/variants/go/VERSION', 'utf-8')).toBe('1.0.0\n');
    });
  });
  describe("tag names follow nx.json's release.releaseTag.pattern", () => {
    const AT = { name: '__default__', pattern: '{projectName}@{version}' };

    it('says which tag a release gets, and counts earlier releases by their tags in that pattern', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit({ 'agent-go@1.0.0': COMMIT_A, 'agent-go@1.1.0': COMMIT_B }), AT);
      const logs = await actions.updateProjectVersion(tree, '1.0.1');
      // 1.1.0 is released (an agent-go@ tag), so a hotfix of 1.0 moves only its own line.
      expect(logs).toContain(`🏷️  Git tag agent-go@1.0.1; publish pushes ${REGISTRY}/openclaw-agent-go:1.0.1, :1.0`);
    });

    it('a first release is one without a tag in the pattern, whatever tags of another pattern say', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit({ 'agent-go-v1.0.0': COMMIT_A }), AT);
      expect(await actions.calculateNewVersion('1.0.0', 'minor', 'CONVENTIONAL_COMMITS', {}, '')).toEqual({
        newVersion: '1.0.0',
        logText: '🆕 First release of agent-go: 1.0.0, as its VERSION file says (no agent-go@* tag yet)',
      });
    });

    it('refuses a version whose tag in the pattern exists', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, GO, memoryGit({ 'agent-go@1.0.0': COMMIT_A }), AT);
      const error = await rejection(actions.calculateNewVersion('1.0.0', '1.0.0', 'USER_SPECIFIER', {}, ''));
      expect(error.message).toContain('agent-go: tag agent-go@1.0.0 already exists (commit aaaaaaaaaaaa)');
    });

    it('fills in the release group name where the pattern asks for it', async () => {
      const tree = imageWorkspace();
      const actions = await versionActionsFor(tree, BASE, memoryGit(), { name: 'images', pattern: '{releaseGroupName}/{projectName}/{version}' });
      expect(await actions.updateProjectVersion(tree, '1.0.0')).toContain(`🏷️  Git tag images/agent-base/1.0.0; publish pushes ${REGISTRY}/openclaw-base:1.0.0, :1.0, :1, :latest`);
    });
  });
});
