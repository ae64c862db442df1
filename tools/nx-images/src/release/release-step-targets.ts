import type { NxJsonConfiguration, TargetConfiguration } from '@nx/devkit';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseImageReference, parseTaskBuildDefaults, TASK_BUILD_DEFAULTS_FILE, type ImageProject, type ImageWorkspace } from '@taskforge/image-model';
import { releaseTagName, VERSION_PLACEHOLDER, type ReleaseTagFormat } from '@taskforge/release';
import { projectOutputPath } from '../project-output-file';
import { imageReleaseTagFormats } from './release-config';

/** What the release step targets of one image need to know about the others, read once per graph computation. */
export interface ImageReleaseContext {
  /** Every image: a release of one moves the pins of the images built FROM it, and their commits count for it. */
  workspace: ImageWorkspace;
  /** Each image's release tag format as Nx resolves nx.json (release-config.ts); missing for an image no release group holds. */
  tagFormats: Map<string, ReleaseTagFormat>;
  /** The image config/task-builds.json builds task images FROM (its name), which a release of that image moves. */
  taskBuildsBase?: string;
}

export async function imageReleaseContext(workspaceRoot: string, workspace: ImageWorkspace, nxJson: NxJsonConfiguration | undefined): Promise<ImageReleaseContext> {
  return { workspace, tagFormats: await imageReleaseTagFormats(workspace, nxJson), taskBuildsBase: taskBuildsBase(workspaceRoot) };
}

function taskBuildsBase(workspaceRoot: string): string | undefined {
  const file = join(workspaceRoot, TASK_BUILD_DEFAULTS_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return parseImageReference(parseTaskBuildDefaults(readFileSync(file, 'utf8')).defaultBaseImage).repository;
  } catch {
    // Version actions report a broken file with its fix when a release reads it; it just names no image here.
    return undefined;
  }
}

/**
 * The per-image steps of `nx release`, for CI jobs that run them one by one, cached by Nx on the state they read.
 * Git state (commits, tags, a clean tree) is no file Nx hashes, so runtime inputs hash what git says about it.
 * Their inputs never include what the step writes (VERSION, CHANGELOG.md), so a second run on the same commits
 * and tags is a cache hit, whose restore gives the files the first run wrote.
 */
export function releaseStepTargets(
  image: ImageProject,
  release: ImageReleaseContext,
  toolInputs: NonNullable<TargetConfiguration['inputs']>,
): Record<string, TargetConfiguration> {
  const name = image.definition.name;
  const technologies = ['docker'];
  const dependents = descendantsOf(release.workspace, image.project);
  const versioned = [image.project, ...dependents];
  const commits = { runtime: lastRelevantCommitCommand(release.workspace, image.project) };
  const tagFormat = release.tagFormats.get(image.project);
  return {
    'release-version': {
      executor: 'nx:run-commands',
      cache: true,
      // The working tree's status: a release starts from a clean tree (version actions refuse any other), so a dirty
      // tree is never a hit; the committed sources are then what the step reads, and `commits` names them.
      inputs: [commits, { runtime: tagsCommand(release, versioned) }, { runtime: 'git status --porcelain --untracked-files=all' }, '{workspaceRoot}/nx.json', ...toolInputs],
      outputs: versionOutputs(versioned.map((project) => release.workspace.projects.get(project)!), release.taskBuildsBase),
      options: { command: 'nx release version --projects={projectName} --git-commit=false --git-tag=false', forwardAllArgs: true },
      metadata: {
        description: `Bump ${name}'s VERSION from its conventional commits (and the images built FROM it), as \`nx release version\` does; cached on the commits, release tags and clean tree it starts from`,
        technologies,
      },
    },
    'release-changelog': {
      executor: '@taskforge/nx-images:release-changelog',
      cache: true,
      // VERSION as the version step left it; CHANGELOG.md as committed (through `commits`), which the entry is added to.
      inputs: [
        commits,
        { runtime: tagsCommand(release, [image.project]) },
        '{projectRoot}/VERSION',
        '{workspaceRoot}/nx.json',
        // Where commit links point: package.json "repository", else git's origin.
        '{workspaceRoot}/package.json',
        { runtime: 'git config --get remote.origin.url || true' },
        // The packages a security refresh found (dist is no file Nx hashes).
        { runtime: `cat ${shellWord(posix.normalize(projectOutputPath('.', image.project, 'package-refresh.json')))} 2>/dev/null || true` },
        // The entry's date: SOURCE_DATE_EPOCH, or today.
        { env: 'SOURCE_DATE_EPOCH' },
        { runtime: 'date -u +%Y-%m-%d' },
        ...toolInputs,
      ],
      outputs: ['{projectRoot}/CHANGELOG.md'],
      options: {},
      metadata: { description: `Write ${name}'s CHANGELOG.md entry for its VERSION, as \`nx release changelog\` does; cached on the commits and release tags it reads`, technologies },
    },
    'release-tag': {
      executor: '@taskforge/nx-images:release-tag',
      cache: true,
      inputs: [{ runtime: tagStateCommand(image, tagFormat) }, '{projectRoot}/VERSION', '{workspaceRoot}/nx.json', ...toolInputs],
      options: {},
      metadata: {
        description: tagFormat
          ? `Tag HEAD as ${releaseTagName(tagFormat, '<VERSION>')} (annotated) unless that tag exists; replayed from the cache only while the tag exists`
          : `Tag HEAD with ${image.project}'s release tag for its VERSION (annotated) unless it exists; nx.json's release puts ${image.project} in no release group yet`,
        technologies,
      },
    },
  };
}

/** VERSION of the image and of every image built FROM it (`versioned`, the image first), their pins, and the task builds' base when it moves. */
function versionOutputs(versioned: ImageProject[], taskBuildsBase: string | undefined): string[] {
  const outputs = ['{projectRoot}/VERSION'];
  for (const dependent of versioned.slice(1)) {
    outputs.push(`{workspaceRoot}/${dependent.root}/VERSION`, `{workspaceRoot}/${dependent.root}/image.json`);
    if (dependent.dockerfile) outputs.push(`{workspaceRoot}/${dependent.dockerfile}`);
  }
  if (taskBuildsBase && versioned.some((each) => each.definition.name === taskBuildsBase)) outputs.push(`{workspaceRoot}/${TASK_BUILD_DEFAULTS_FILE}`);
  return outputs;
}

/**
 * The last commit that touched anything a release of `project` reads: every file of the workspace except the
 * folders of images unrelated to it. Related are the image, the images it is built FROM, the images built FROM
 * it (its release moves them) and theirs. Nx counts a commit for a project when it touches the project, an image
 * it is built FROM, or a file of no project; other projects count too (they are no image), which only makes a
 * cache miss more likely, never a wrong hit.
 */
function lastRelevantCommitCommand(workspace: ImageWorkspace, project: string): string {
  const related = new Set([project, ...ancestorsOf(workspace, project)]);
  for (const dependent of descendantsOf(workspace, project)) {
    related.add(dependent);
    for (const ancestor of ancestorsOf(workspace, dependent)) related.add(ancestor);
  }
  const relatedRoots = [...related].map((each) => workspace.projects.get(each)!.root);
  const excluded = [...workspace.projects.values()]
    .filter((each) => !related.has(each.project))
    .map((each) => each.root)
    // A folder holding a related image's folder would exclude that image too.
    .filter((root) => root !== '.' && !relatedRoots.some((kept) => kept === root || kept.startsWith(`${root}/`)))
    .sort();
  return ['git log -1 --format=%H -- .', ...excluded.map((root) => shellWord(`:(exclude)${root}`))].join(' ');
}

/** Every release tag of the projects (name, tag object, commit): a new, moved or deleted tag changes it. All tags when a format is unknown. */
function tagsCommand(release: ImageReleaseContext, projects: string[]): string {
  const formats = projects.map((project) => release.tagFormats.get(project));
  const refs = formats.every((format) => format !== undefined) ? formats.map((format) => `refs/tags/${tagGlob(format!)}`) : ['refs/tags'];
  return ['git for-each-ref', shellWord('--format=%(refname) %(objectname) %(*objectname)'), ...[...new Set(refs)].map(shellWord)].join(' ');
}

/**
 * HEAD and the commit of the tag VERSION gets, or random bytes while that tag does not exist: a tag step is
 * replayed from the cache only while its tag exists (a deleted tag is a miss that tags again), and a tag moved
 * to another commit is a miss too. Without a known tag format it is always a miss.
 */
function tagStateCommand(image: ImageProject, format: ReleaseTagFormat | undefined): string {
  const random = 'od -An -N16 -tx1 /dev/urandom';
  if (!format) return random;
  const at = format.indexOf(VERSION_PLACEHOLDER);
  const version = `"$(tr -d '[:space:]' < ${shellWord(`${image.root}/VERSION`)})"`;
  const ref = `${shellWord(`refs/tags/${format.slice(0, at)}`)}${version}${shellWord(`${format.slice(at + VERSION_PLACEHOLDER.length)}^{commit}`)}`;
  return `git rev-parse HEAD && git rev-parse -q --verify ${ref} || ${random}`;
}

/** A git ref pattern matching every tag of `format`: its literal parts escaped, the version a wildcard. */
function tagGlob(format: ReleaseTagFormat): string {
  const escape = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');
  const at = format.indexOf(VERSION_PLACEHOLDER);
  return `${escape(format.slice(0, at))}*${escape(format.slice(at + VERSION_PLACEHOLDER.length))}`;
}

/** `text` as one word for sh: unquoted when plain, else single-quoted. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function ancestorsOf(workspace: ImageWorkspace, project: string): Set<string> {
  const found = new Set<string>();
  const pending = [...(workspace.projects.get(project)?.parents ?? [])];
  while (pending.length) {
    const parent = pending.pop()!;
    if (found.has(parent)) continue;
    found.add(parent);
    pending.push(...(workspace.projects.get(parent)?.parents ?? []));
  }
  return found;
}

/** The images built FROM `project`, directly or through others, sorted. */
function descendantsOf(workspace: ImageWorkspace, project: string): string[] {
  return [...workspace.projects.values()]
    .filter((each) => ancestorsOf(workspace, each.project).has(project))
    .map((each) => each.project)
    .sort();
}
