import { readNxJson, workspaceRoot, type ProjectGraph, type Tree } from '@nx/devkit';
import { VersionActions } from 'nx/release';
import { posix } from 'node:path';
import { valid } from 'semver';
import { resolveRegistry } from '@taskforge/engine';
import {
  parseImageDefinitionText,
  parseImageReference,
  parseTaskBuildDefaults,
  parseVersionText,
  TASK_BUILD_DEFAULTS_FILE,
  type ImageDefinition,
} from '@taskforge/image-model';
import { assertCleanWorkingTree, pinnedVersion, registryTagsForRelease, releasedVersions, releaseTagName, repinImage, type ReleaseTagFormat } from '@taskforge/release';
import { UserError } from '@taskforge/user-errors';
import { optionsFromNxJson } from '../plugin-options';
import { releaseTagFormatOf, type ReleaseTagGroup } from './release-config';
import { listTags, tagCommit } from '@taskforge/git';

/**
 * The git state a release reads: every call of this class to git goes
 * through one of these, with the repository root as first argument.
 * It exists so unit tests can run the release logic on Nx's in-memory tree
 * with an in-memory stand-in instead of a git repository; real runs get
 * `repositoryGit`, the @taskforge/release functions themselves.
 */
export interface ReleaseGitState {
  /** Every tag name in the repository. */
  listTags(root: string): string[];
  /** The commit a tag points to, or undefined when there is no such tag. */
  tagCommit(root: string, tag: string): string | undefined;
  /** Throws a UserError when the working tree has uncommitted changes. */
  assertCleanWorkingTree(root: string): void;
}

export const repositoryGit: ReleaseGitState = { listTags, tagCommit, assertCleanWorkingTree };

// One check per `nx release` process, before any project is versioned: Nx loads this module once and every
// instance shares `repositoryGit`. Kept per git state (not one flag) so each test's stand-in is checked afresh.
const checkedWorkingTrees = new WeakSet<ReleaseGitState>();

/** Whether `nx release ...` was asked for a dry run (`--dry-run`, `-d`, `--dryRun`, `--dry-run=true`). */
export function isDryRun(argv: readonly string[]): boolean {
  return argv.some((arg) => arg === '-d' || /^--dry-?run(=true)?$/i.test(arg));
}

type NxConstructorArgs = ConstructorParameters<typeof VersionActions>;

function definitionAt(tree: Tree, root: string): ImageDefinition {
  const file = posix.join(root, 'image.json');
  return parseImageDefinitionText(tree.read(file, 'utf-8') ?? '', file);
}

/**
 * Nx release for image projects: the version lives in the image's VERSION
 * file; dependents are the images built FROM it (the plugin's static edges),
 * whose pinned references move with it.
 */
export default class ImageVersionActions extends VersionActions {
  validManifestFilenames = ['VERSION'];
  // Nx applies a version twice to an image that is both bumped and a dependent; say it once.
  private readonly reported = new Set<string>();

  private once(lines: string[]): string[] {
    const fresh = lines.filter((line) => !this.reported.has(line));
    fresh.forEach((line) => this.reported.add(line));
    return fresh;
  }

  /** Nx constructs this with its three arguments; tests add an in-memory `git` (see ReleaseGitState). */
  constructor(
    releaseGroup: NxConstructorArgs[0],
    projectGraphNode: NxConstructorArgs[1],
    finalConfigForProject: NxConstructorArgs[2],
    private readonly git: ReleaseGitState = repositoryGit,
    /** The command line: Nx gives version actions no dry-run flag, so --dry-run is read from it. */
    private readonly argv: readonly string[] = process.argv,
  ) {
    super(releaseGroup, projectGraphNode, finalConfigForProject);
  }

  /** Whether this image's first release was logged: Nx may ask for its new version twice (see calculateNewVersion). */
  private firstReleaseAnnounced = false;

  private get root(): string {
    return this.projectGraphNode.data.root;
  }

  /** This image's release tags as Nx names them: its release group's releaseTag.pattern from nx.json, resolved by Nx. */
  private get tagFormat(): ReleaseTagFormat {
    return releaseTagFormatOf(this.releaseGroup as unknown as ReleaseTagGroup, this.projectGraphNode.name);
  }

  override async validate(tree: Tree): Promise<void> {
    if (!checkedWorkingTrees.has(this.git)) {
      checkedWorkingTrees.add(this.git);
      try {
        this.git.assertCleanWorkingTree(tree.root);
      } catch (error) {
        // A dry run changes nothing, so it plans on a dirty tree (a new untracked file, say) and says what a release would do.
        if (!(error instanceof UserError) || !isDryRun(this.argv)) throw error;
        const listed = /uncommitted changes \(([^)]*)\)/.exec(error.message)?.[1];
        console.warn(`Dry run on a working tree with uncommitted changes${listed ? ` (${listed})` : ''}: a release would stop here until they are committed or stashed; the plan goes on from the commits.`);
      }
    }
    await super.validate(tree);
  }

  async readCurrentVersionFromSourceManifest(tree: Tree): Promise<{ currentVersion: string; manifestPath: string }> {
    const manifestPath = posix.join(this.root, 'VERSION');
    return { currentVersion: parseVersionText(tree.read(manifestPath, 'utf-8') ?? undefined, manifestPath), manifestPath };
  }

  // Released versions are git tags; the registry only mirrors them.
  async readCurrentVersionFromRegistry(): Promise<null> {
    return null;
  }

  override async calculateNewVersion(
    currentVersion: string | null,
    newVersionInput: string,
    newVersionInputReason: string,
    newVersionInputReasonData: Record<string, unknown>,
    preid: string,
  ): Promise<{ newVersion: string; logText: string }> {
    const project = this.projectGraphNode.name;
    // An image never released yet is released first at the version its VERSION file names, unless a version is given explicitly.
    if (currentVersion && !valid(newVersionInput) && releasedVersions(this.tagFormat, this.git.listTags(workspaceRoot)).length === 0) {
      // Nx asks again for an image that is also a dependent of a bumped one; the first release was announced already.
      const again = this.firstReleaseAnnounced;
      this.firstReleaseAnnounced = true;
      return this.refuseExistingTag({
        newVersion: currentVersion,
        logText: again
          ? `↪ An image it is built FROM is released too; still its first release at ${currentVersion}`
          : `🆕 First release of ${project}: ${currentVersion}, as its VERSION file says (no ${releaseTagName(this.tagFormat, '*')} tag yet)`,
      });
    }
    return this.refuseExistingTag(await super.calculateNewVersion(currentVersion, newVersionInput, newVersionInputReason, newVersionInputReasonData, preid));
  }

  private refuseExistingTag(result: { newVersion: string; logText: string }): { newVersion: string; logText: string } {
    const tag = releaseTagName(this.tagFormat, result.newVersion);
    const commit = this.git.tagCommit(workspaceRoot, tag);
    if (commit) {
      throw new UserError(
        `${this.projectGraphNode.name}: tag ${tag} already exists (commit ${commit.slice(0, 12)}), so ${result.newVersion} was released before: release a higher version (\`npx nx release <version> --projects=${this.projectGraphNode.name}\`), or delete the tag if that release never happened.`,
      );
    }
    return result;
  }

  async readCurrentVersionOfDependency(tree: Tree, projectGraph: ProjectGraph, dependencyProjectName: string): Promise<{ currentVersion: string | null; dependencyCollection: string | null }> {
    const parent = definitionAt(tree, projectGraph.nodes[dependencyProjectName].data.root);
    const own = definitionAt(tree, this.root);
    const dockerfile = tree.read(posix.join(this.root, own.dockerfile), 'utf-8') ?? '';
    const fromArgs = Object.values(own.buildArgs)
      .map((value) => parseImageReference(value))
      .find((reference) => reference.repository === parent.name && reference.tag && valid(reference.tag));
    return { currentVersion: pinnedVersion(dockerfile, parent.name) ?? fromArgs?.tag ?? null, dependencyCollection: 'FROM' };
  }

  async updateProjectVersion(tree: Tree, newVersion: string): Promise<string[]> {
    const logs: string[] = [];
    const versionFile = posix.join(this.root, 'VERSION');
    tree.write(versionFile, `${newVersion}\n`);
    logs.push(`✍️  New version ${newVersion} written to ${versionFile}`);

    const image = definitionAt(tree, this.root).name;
    const defaultsText = tree.read(TASK_BUILD_DEFAULTS_FILE, 'utf-8');
    if (defaultsText !== null) {
      const defaults = parseTaskBuildDefaults(defaultsText);
      if (parseImageReference(defaults.defaultBaseImage).repository === image) {
        tree.write(TASK_BUILD_DEFAULTS_FILE, `${JSON.stringify({ ...defaults, defaultBaseImage: `${image}:${newVersion}` }, null, 2)}\n`);
        logs.push(`✍️  Task builds now start FROM ${image}:${newVersion} (${TASK_BUILD_DEFAULTS_FILE})`);
      }
    }

    const registry = resolveRegistry(optionsFromNxJson(readNxJson(tree) ?? undefined).registry);
    const released = releasedVersions(this.tagFormat, this.git.listTags(tree.root));
    const tags = registryTagsForRelease(newVersion, released);
    logs.push(`🏷️  Git tag ${releaseTagName(this.tagFormat, newVersion)}; publish pushes ${registry}/${image}:${tags.join(', :')}`);
    return this.once(logs);
  }

  async updateProjectDependencies(tree: Tree, projectGraph: ProjectGraph, dependenciesToUpdate: Record<string, string>): Promise<string[]> {
    const logs: string[] = [];
    const own = definitionAt(tree, this.root);
    const dockerfilePath = posix.join(this.root, own.dockerfile);
    let dockerfile = tree.read(dockerfilePath, 'utf-8');
    let buildArgs = own.buildArgs;
    for (const [dependency, version] of Object.entries(dependenciesToUpdate)) {
      const parent = definitionAt(tree, projectGraph.nodes[dependency].data.root).name;
      if (dockerfile !== null) {
        const repinned = repinImage(dockerfile, parent, version);
        if (repinned.changedLines.length) {
          dockerfile = repinned.text;
          logs.push(`✍️  ${dockerfilePath}:${repinned.changedLines.join(',')} now builds FROM ${parent}:${version}`);
        }
      }
      for (const [name, value] of Object.entries(buildArgs)) {
        const reference = parseImageReference(value);
        if (reference.repository === parent && reference.tag && valid(reference.tag) && reference.tag !== version) {
          buildArgs = { ...buildArgs, [name]: value.replace(`:${reference.tag}`, `:${version}`) };
          logs.push(`✍️  ${this.root}/image.json buildArgs.${name} now ${parent}:${version}`);
        }
      }
    }
    if (dockerfile !== null) tree.write(dockerfilePath, dockerfile);
    if (buildArgs !== own.buildArgs) {
      // Rewrites the file as written (not the parsed definition, which carries defaults) with the new buildArgs.
      const definitionFile = posix.join(this.root, 'image.json');
      tree.write(definitionFile, `${JSON.stringify({ ...JSON.parse(tree.read(definitionFile, 'utf-8')!), buildArgs }, null, 2)}\n`);
    }
    return logs;
  }
}
