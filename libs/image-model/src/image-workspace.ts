import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { valid } from 'semver';
import { UserError } from '@taskforge/user-errors';
import { listBuildContextFiles } from './build-context';
import { readDockerfileImages } from './dockerfile';
import { readImageDefinition, type ImageDefinition } from './image-definition';
import { resolveImageUse, type ImageNode, type ResolveOptions, type ResolvedUse } from './image-graph';

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
 * `workspaceRoot`) and resolves which images each one uses.
 */
export function loadImageWorkspace(
  workspaceRoot: string,
  definitionFiles: readonly string[],
  options: ResolveOptions & {
    /** Walk each build context (the default), or leave contextFiles empty when the caller does not need them. */
    listContexts?: boolean;
    /** Context file lists already known (by project root), e.g. from the project graph: no walk for those. */
    knownContextFiles?: Record<string, string[]>;
  },
): ImageWorkspace {
  const projects = new Map<string, ImageProject>();
  const byImage = new Map<string, ImageNode>();
  const texts = new Map<string, string>();

  for (const definitionFile of [...definitionFiles].sort()) {
    const root = posix.dirname(definitionFile);
    const definition = readImageDefinition(join(workspaceRoot, definitionFile), definitionFile);
    const project = definition.project ?? basename(root);
    const version = readVersionFile(join(workspaceRoot, root, 'VERSION'), posix.join(root, 'VERSION'));
    const clash = projects.get(project) ?? [...projects.values()].find((other) => other.definition.name === definition.name);
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
    projects.set(project, { project, root, definitionFile, definition, version, dockerfile, contextFiles, uses: [], parents: [] });
    byImage.set(definition.name, { project, image: definition.name, version });
  }

  for (const image of projects.values()) {
    const text = texts.get(image.project);
    if (text === undefined) continue;
    const { uses } = readDockerfileImages(text, image.definition.buildArgs);
    image.uses = uses.map((use) => resolveImageUse(use, byImage, options));
    image.parents = [...new Set(image.uses.flatMap((use) => (use.kind === 'in-repo' ? [use.node.project] : [])))];
  }
  return { projects, byImage };
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
