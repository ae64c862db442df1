import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { valid } from 'semver';
import { isUserError, UserError } from '@taskforge/user-errors';
import { listBuildContextFiles } from './build-context';
import { readDockerfileImages, type DockerfileFeature, type ImageUse } from './dockerfile';
import { readImageDefinition, type ImageDefinition } from './image-definition';
import { resolveImageUse, type ImageNode, type ResolveOptions, type ResolvedUse } from './image-graph';
import { parseImageReference } from './image-reference';

export interface ImageProject {
  /** Nx project name: image.json `project`, or the folder name. */
  project: string;
  /** Folder relative to the workspace root, with `/`. */
  root: string;
  definitionFile: string;
  definition: ImageDefinition;
  /** Semantic version from the VERSION file. */
  version: string;
  /** Dockerfile relative to the workspace root; undefined for images built from a root filesystem recipe. */
  dockerfile?: string;
  /** Build context files relative to `root`; empty for root filesystem images (and when not asked for). */
  contextFiles: string[];
  /** Every image the Dockerfile uses, resolved against the repo's images. */
  uses: ResolvedUse[];
  /** In-repo projects this image is built from or copies from, in Dockerfile order, without repeats. */
  parents: string[];
  /** What its Dockerfile uses that an older engine lacks (built without it there, under another content key). */
  features: DockerfileFeature[];
}

export interface ImageWorkspace {
  projects: Map<string, ImageProject>;
  byImage: Map<string, ImageNode>;
}

/** A VERSION file's text (undefined: the file is missing) to its semantic version; `displayPath` names it in the error. */
export function parseVersionText(text: string | undefined, displayPath: string): string {
  if (text === undefined) throw new UserError(`${displayPath} is missing: create it with the image's semantic version, e.g. 1.0.0.`);
  const version = text.trim();
  if (!valid(version)) throw new UserError(`${displayPath}: "${version}" is not a semantic version; write one such as 1.0.0.`);
  return version;
}

export function readVersionFile(file: string, displayPath: string): string {
  return parseVersionText(existsSync(file) ? readFileSync(file, 'utf8') : undefined, displayPath);
}

/**
 * Reads every image project named by its image.json (paths relative to
 * `workspaceRoot`) and resolves which images each one uses. The first
 * mistake in any of them is thrown (see loadImageWorkspaceSettled).
 */
export function loadImageWorkspace(workspaceRoot: string, definitionFiles: readonly string[], options: LoadOptions): ImageWorkspace {
  const { workspace, errors } = loadImageWorkspaceSettled(workspaceRoot, definitionFiles, options);
  if (errors.length > 0) throw errors[0];
  return workspace;
}

export interface LoadOptions extends ResolveOptions {
  /** Walk each build context (the default), or leave contextFiles empty when the caller does not need them. */
  listContexts?: boolean;
  /** Context file lists already known (by project root), e.g. from the project graph: no walk for those. */
  knownContextFiles?: Record<string, string[]>;
}

export interface SettledImageWorkspace {
  /** The images that read well; an image whose only mistake is an unknown image name in its Dockerfile is among them. */
  workspace: ImageWorkspace;
  /** One line per mistake, each naming its file (and line). */
  errors: UserError[];
}

/**
 * Like loadImageWorkspace, but a mistake in one image's files does not stop
 * the others: createNodes reports every mistake and still gives Nx the rest
 * of the graph. A name that looks like one of the repo's images (our
 * registry, an in-repo prefix) but names none is a mistake here, where the
 * graph is read, so `nx affected` can never silently miss that image.
 */
export function loadImageWorkspaceSettled(workspaceRoot: string, definitionFiles: readonly string[], options: LoadOptions): SettledImageWorkspace {
  const projects = new Map<string, ImageProject>();
  const byImage = new Map<string, ImageNode>();
  const texts = new Map<string, string>();
  const errors: UserError[] = [];
  /** Images named by a definition that failed after its name was read: their own error says what is wrong. */
  const failedImages = new Set<string>();
  /** A definition that failed before its name was known: any unknown name may be that image's, so none is reported. */
  let unnamedFailure = false;

  for (const definitionFile of [...definitionFiles].sort()) {
    let definition: ImageDefinition | undefined;
    try {
      const root = posix.dirname(definitionFile);
      definition = readImageDefinition(join(workspaceRoot, definitionFile), definitionFile);
      const project = definition.project ?? basename(root);
      const version = readVersionFile(join(workspaceRoot, root, 'VERSION'), posix.join(root, 'VERSION'));
      const named = definition.name;
      const clash = projects.get(project) ?? [...projects.values()].find((other) => other.definition.name === named);
      if (clash) {
        throw new UserError(`${definitionFile}: project "${project}" / image "${definition.name}" is already defined by ${clash.definitionFile}; give one of them another name.`);
      }
      let dockerfile: string | undefined;
      let contextFiles: string[] = [];
      if (!definition.rootfs) {
        dockerfile = posix.join(root, definition.dockerfile);
        const dockerfilePath = join(workspaceRoot, dockerfile);
        if (!existsSync(dockerfilePath)) {
          throw new UserError(`${definitionFile}: field "dockerfile" names ${dockerfile}, which does not exist; create it or fix the field.`);
        }
        texts.set(project, readFileSync(dockerfilePath, 'utf8'));
        // Walking the build context is the costly part; the dependency edges do not need it.
        const known = options.knownContextFiles?.[root];
        if (known) contextFiles = known;
        else if (options.listContexts !== false) contextFiles = listBuildContextFiles(join(workspaceRoot, root), definition.dockerfile);
      }
      projects.set(project, { project, root, definitionFile, definition, version, dockerfile, contextFiles, uses: [], parents: [], features: [] });
      byImage.set(definition.name, { project, image: definition.name, version });
    } catch (error) {
      if (!isUserError(error)) throw error;
      errors.push(error);
      if (definition) failedImages.add(definition.name);
      else unnamedFailure = true;
    }
  }

  const known = [...byImage.keys()];
  for (const image of projects.values()) {
    const text = texts.get(image.project);
    if (text === undefined) continue;
    const { uses, features } = readDockerfileImages(text, image.definition.buildArgs);
    image.features = features;
    image.uses = uses.map((use) => resolveImageUse(use, byImage, options));
    image.parents = [...new Set(image.uses.flatMap((use) => (use.kind === 'in-repo' ? [use.node.project] : [])))];
    for (const resolved of image.uses) {
      if (resolved.kind !== 'unknown-in-repo' || unnamedFailure || failedImages.has(parseImageReference(resolved.use.reference).repository)) continue;
      errors.push(unknownImageError(image, resolved.use, known.filter((name) => name !== image.definition.name)));
    }
  }
  return { workspace: { projects, byImage }, errors };
}

/** `images/x/Dockerfile:3: FROM openclaw-bsae:1.0.0 names no image of this repo; did you mean openclaw-base? Known images: ...` (the image's own name left out). */
function unknownImageError(image: ImageProject, use: ImageUse, known: string[]): UserError {
  const { repository } = parseImageReference(use.reference);
  const ranked = closestFirst(repository, known);
  const suggestion = ranked[0] !== undefined && editDistance(repository, ranked[0]) <= Math.max(2, Math.floor(repository.length / 4)) ? ranked[0] : undefined;
  const where = use.arg
    ? `${image.dockerfile}:${use.arg.line}: ARG ${use.arg.name}=${use.reference} (the ${use.instruction} on line ${use.line})`
    : `${image.dockerfile}:${use.line}: ${use.instruction} ${use.reference}`;
  return new UserError(
    `${where} names no image of this repo${suggestion ? `; did you mean ${suggestion}?` : '.'} Known images: ${ranked.join(', ') || 'none'}. Fix the name, or add that image under images/.`,
  );
}

/** `names` nearest to `name` first (then alphabetically), so the likely intended one leads the list. */
function closestFirst(name: string, names: string[]): string[] {
  const distance = new Map(names.map((candidate) => [candidate, editDistance(name, candidate)]));
  return [...names].sort((a, b) => distance.get(a)! - distance.get(b)! || a.localeCompare(b));
}

/** Edits from `a` to `b`, a swap of neighbouring letters counting as one (a typo such as `bsae` is one from `base`). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}

/** Projects in build order (parents first), all of them or `only` and its ancestors; a cycle of FROM lines is a user error. */
export function buildOrder(workspace: ImageWorkspace, only?: string): ImageProject[] {
  const ordered: ImageProject[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (image: ImageProject, path: string[]) => {
    const seen = state.get(image.project);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      throw new UserError(`The images build from each other in a cycle (${[...path, image.project].join(' -> ')}); break it in one of their Dockerfiles.`);
    }
    state.set(image.project, 'visiting');
    for (const parent of image.parents) visit(workspace.projects.get(parent)!, [...path, image.project]);
    state.set(image.project, 'done');
    ordered.push(image);
  };
  const start = only ? [workspace.projects.get(only)].filter((image): image is ImageProject => !!image) : [...workspace.projects.values()];
  for (const image of start) visit(image, []);
  return ordered;
}

export function dockerfileDir(image: ImageProject): string {
  return image.dockerfile ? dirname(image.dockerfile) : image.root;
}
