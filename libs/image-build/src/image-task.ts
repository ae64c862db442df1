import { join } from 'node:path';
import { loadImageWorkspace, type DockerfileFeature, type ImageProject, type ImageWorkspace } from '@taskforge/image-model';
import { engineLacksOfRun } from './engine-dialect';
import { contentKeys, contentTag, FileHashCache } from './content-key';
import type { ResolvedImageSettings } from './image-settings';
import { outsideImagesOfRun, type OutsideImages } from './outside-images';

/** The images of a workspace as one run sees them: the graph, the content key of each, and the registry. */
export interface ImageSet {
  workspaceRoot: string;
  workspace: ImageWorkspace;
  /** Content key by project; for every image, or for the one a task is about and its ancestors. */
  keys: Map<string, string>;
  registry: string;
  /** What each image outside the repo stood for when the keys were computed (see OUTSIDE_IMAGES_VARIABLE). */
  outside: OutsideImages;
  /** The Dockerfile features the run's engine lacks, as the keys were computed (ENGINE_LACKS_VARIABLE); undefined: not asked. */
  engineLacks?: DockerfileFeature[];
}

/** What every step on one image project works with: the image set, the project, and where its output goes. */
export interface ImageTask extends ImageSet {
  project: string;
  print: (line: string) => void;
}

/** A line of one project's output, prefixed so it stays readable when Nx interleaves parallel tasks: `[agent-base] ...`. */
export function projectLine(project: string, line: string): string {
  return `[${project}] ${line}`;
}

/** Prints a project's output lines (standard output). */
export function projectPrinter(project: string): (line: string) => void {
  return (line) => console.log(projectLine(project, line));
}

/** Where content hashes of build context files are remembered between runs (next to Nx's own caches). */
export function fileHashCachePath(workspaceRoot: string): string {
  return join(workspaceRoot, '.nx', 'workspace-data', 'nx-images-file-hashes.json');
}

/**
 * Reads the images named by `definitionFiles` and computes their content keys
 * (hashing every build context file, or recalling its hash): of every image,
 * or of `only` and its ancestors. Context file lists already known (by
 * project root, e.g. from the project graph) are not walked again. Outside
 * images are keyed by `outside` when given, else by what this Nx run
 * resolved them to before its tasks (the plugin's preTasksExecution); so are
 * the engine's lacks.
 */
export function loadImageSet(
  workspaceRoot: string,
  definitionFiles: readonly string[],
  settings: ResolvedImageSettings,
  options: { knownContextFiles?: Record<string, string[]>; only?: string; outside?: OutsideImages; engineLacks?: DockerfileFeature[] } = {},
): ImageSet {
  const workspace = loadImageWorkspace(workspaceRoot, definitionFiles, { ...settings, knownContextFiles: options.knownContextFiles });
  const outside = options.outside ?? outsideImagesOfRun();
  const engineLacks = options.engineLacks ?? engineLacksOfRun();
  const keys = contentKeys(workspaceRoot, workspace, new FileHashCache(fileHashCachePath(workspaceRoot)), options.only, outside, engineLacks);
  return { workspaceRoot, workspace, keys, registry: settings.registry, outside, engineLacks };
}

/** The image a task is about. */
export function taskImage(task: ImageTask): ImageProject {
  return task.workspace.projects.get(task.project)!;
}

/** The names one image of the set goes by for its current sources. */
export interface ImageNames {
  /** ck-<content key> */
  contentTag: string;
  /** NAME:VERSION */
  versioned: string;
  /** NAME:latest */
  latest: string;
  /** NAME:ck-<content key>: what the current sources build. */
  content: string;
  /**
   * X.Y.Z-dev.<commit>[.dirty]: the tag of a push of unreleased sources at `revision` (a full commit id), `.dirty`
   * when the image's inputs have uncommitted changes. A semver pre-release of VERSION, so it never equals a
   * release tag (X.Y.Z, X.Y, X, latest) and sorts below X.Y.Z. The commit is cut to 7 characters, git's shortest
   * abbreviation, rather than to `git rev-parse --short`, which grows with the repository: one commit, one tag.
   */
  devTag(revision: string, dirty: boolean): string;
  /** `registry/NAME:tag` in the set's registry. */
  inRegistry(tag: string): string;
}

export function imageNames(set: ImageSet, project: string): ImageNames {
  const image = set.workspace.projects.get(project)!;
  const name = image.definition.name;
  const key = contentTag(set.keys.get(project)!);
  return {
    contentTag: key,
    versioned: `${name}:${image.version}`,
    latest: `${name}:latest`,
    content: `${name}:${key}`,
    devTag: (revision, dirty) => `${image.version}-dev.${revision.slice(0, 7)}${dirty ? '.dirty' : ''}`,
    inRegistry: (tag) => `${set.registry}/${name}:${tag}`,
  };
}
