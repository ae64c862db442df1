import { readCachedProjectGraph, type ProjectConfiguration } from '@nx/devkit';
import { randomUUID } from 'node:crypto';
import { imageTagsWithLabel } from '@taskforge/engine';
import { imageNames } from '@taskforge/image-build';
import { CONTENT_KEY_LABEL } from '@taskforge/image-model';
import { imageSetOf } from './image-workspace-loader';
import type { ImagesPluginOptions } from './plugin-options';

/**
 * The environment variable an image project's cached targets hash: the
 * engine's image ID for the project's current content, or a fresh random
 * word when the engine lacks it. Nx can then only replay a cached result
 * while the very image it describes is in the engine; a missing image never
 * matches an earlier hash.
 */
export function presenceVariable(project: string): string {
  return `TASKFORGE_IMAGE_${project.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** One engine query per Nx run (from the plugin's preTasksExecution) instead of one process per task. */
export async function imagePresenceEnv(workspaceRoot: string, options: ImagesPluginOptions | undefined): Promise<Record<string, string>> {
  const graph = readCachedProjectGraph();
  const projects: Record<string, ProjectConfiguration> = {};
  for (const node of Object.values(graph.nodes)) projects[node.name] = node.data;
  const images = imageSetOf(workspaceRoot, projects, options);
  const tags = await imageTagsWithLabel(CONTENT_KEY_LABEL, 3000);
  const env: Record<string, string> = {};
  for (const image of images.workspace.projects.values()) {
    const names = imageNames(images, image.project);
    const byKey = tags.get(names.content);
    const byVersion = tags.get(names.versioned);
    env[presenceVariable(image.project)] = byKey && byKey === byVersion ? byKey : `missing-${randomUUID()}`;
  }
  return env;
}
