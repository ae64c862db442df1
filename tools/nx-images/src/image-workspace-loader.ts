import { loadImageSet, type ImageSet, type OutsideImages } from '@taskforge/image-build';
import { IMAGE_DEFINITION_FILE, loadImageWorkspace, loadImageWorkspaceSettled, type DockerfileFeature, type ImageWorkspace, type SettledImageWorkspace } from '@taskforge/image-model';
import type { ProjectConfiguration } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { normalizeOptions, type ImagesPluginOptions } from './plugin-options';

/** The image graph of the given image.json files, without content keys: what createNodes and createDependencies need. */
export function readImageWorkspace(
  workspaceRoot: string,
  definitionFiles: readonly string[],
  options?: ImagesPluginOptions,
  contexts: { listContexts?: boolean } = {},
): ImageWorkspace {
  return loadImageWorkspace(workspaceRoot, definitionFiles, { ...normalizeOptions(options), ...contexts });
}

/** The same graph with every mistake found (unknown image names included) beside the images that read well. */
export function readImageWorkspaceSettled(
  workspaceRoot: string,
  definitionFiles: readonly string[],
  options?: ImagesPluginOptions,
  contexts: { listContexts?: boolean } = {},
): SettledImageWorkspace {
  return loadImageWorkspaceSettled(workspaceRoot, definitionFiles, { ...normalizeOptions(options), ...contexts });
}

/** The images of the projects Nx knows, with content keys (of every image, or of `only` and its ancestors); outside images as this run resolved them unless given. */
export function imageSetOf(
  workspaceRoot: string,
  projects: Record<string, ProjectConfiguration>,
  options?: ImagesPluginOptions,
  only?: string,
  registryOverride?: string,
  outside?: OutsideImages,
  engineLacks?: DockerfileFeature[],
): ImageSet {
  return loadImageSet(workspaceRoot, definitionFilesOf(workspaceRoot, projects), normalizeOptions(options, registryOverride), {
    knownContextFiles: knownContextFiles(projects),
    only,
    outside,
    engineLacks,
  });
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

/** The image.json files of the projects Nx knows. */
export function definitionFilesOf(workspaceRoot: string, projects: Record<string, ProjectConfiguration>): string[] {
  return Object.values(projects)
    .map((project) => posix.join(project.root, IMAGE_DEFINITION_FILE))
    .filter((file) => existsSync(join(workspaceRoot, file)));
}
