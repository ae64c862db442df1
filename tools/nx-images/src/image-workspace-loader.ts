import { contentKeys, FileHashCache } from '@taskforge/image-cache';
import { IMAGE_DEFINITION_FILE, loadImageWorkspace, type ImageWorkspace } from '@taskforge/image-model';
import { resolveRegistry } from '@taskforge/engine';
import type { ProjectConfiguration } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { ImagesPluginOptions } from './plugin-options';
import { normalizeOptions } from './plugin-options';

export interface LoadedImages {
  workspace: ImageWorkspace;
  keys: Map<string, string>;
  registry: string;
}

/** One image project's task: the graph and keys it needs, and a printer prefixed by the project. */
export interface ImageTaskGraph extends LoadedImages {
  project: string;
  workspaceRoot: string;
  print: (line: string) => void;
}

/** Reads all image projects from the given image.json files and resolves what each Dockerfile uses. */
export function loadImageGraph(
  workspaceRoot: string,
  definitionFiles: readonly string[],
  options?: ImagesPluginOptions,
  contexts: { listContexts?: boolean; knownContextFiles?: Record<string, string[]> } = {},
): Omit<LoadedImages, 'keys'> {
  const normalized = normalizeOptions(options);
  const registry = resolveRegistry(normalized.registry);
  return { workspace: loadImageWorkspace(workspaceRoot, definitionFiles, { registry, inRepoPrefixes: normalized.inRepoPrefixes, ...contexts }), registry };
}

/** Where content hashes of build context files are remembered between runs (next to Nx's own caches). */
export function fileHashCachePath(workspaceRoot: string): string {
  return join(workspaceRoot, '.nx', 'workspace-data', 'nx-images-file-hashes.json');
}

/**
 * The image graph plus content keys (which hash every build context file, or
 * recall its hash): of every image, or of `only` and its ancestors. Context
 * file lists come from the project graph where the plugin put them.
 */
export function loadImages(
  workspaceRoot: string,
  definitionFiles: readonly string[],
  options?: ImagesPluginOptions,
  projects?: Record<string, ProjectConfiguration>,
  only?: string,
): LoadedImages {
  const graph = loadImageGraph(workspaceRoot, definitionFiles, options, { knownContextFiles: projects ? knownContextFiles(projects) : undefined });
  return { ...graph, keys: contentKeys(workspaceRoot, graph.workspace, new FileHashCache(fileHashCachePath(workspaceRoot)), only) };
}

/** The build context file lists createNodes recorded in each image project's metadata. */
export function knownContextFiles(projects: Record<string, ProjectConfiguration>): Record<string, string[]> {
  const known: Record<string, string[]> = {};
  for (const project of Object.values(projects)) {
    const files = (project.metadata as { image?: { contextFiles?: string[] } } | undefined)?.image?.contextFiles;
    if (files) known[project.root] = files;
  }
  return known;
}

/** The image.json files of the projects Nx knows, for executors. */
export function definitionFilesOf(workspaceRoot: string, projects: Record<string, ProjectConfiguration>): string[] {
  return Object.values(projects)
    .map((project) => posix.join(project.root, IMAGE_DEFINITION_FILE))
    .filter((file) => existsSync(join(workspaceRoot, file)));
}
