import {
  DependencyType,
  type CreateDependencies,
  type CreateNodes,
  type PostTasksExecution,
  type PreTasksExecution,
  type RawProjectGraphDependency,
} from '@nx/devkit';
import { posix } from 'node:path';
import { IMAGE_DEFINITION_FILE } from '@taskforge/image-model';
import { imagePresenceEnv } from './image-presence';
import { definitionFilesOf, readImageWorkspace } from './image-workspace-loader';
import { imageProjectConfiguration } from './image-targets';
import { PLUGIN_NAME, type ImagesPluginOptions } from './plugin-options';
import { printRunSummary } from './run-summary';

export const name = PLUGIN_NAME;

/** Every folder with an image.json is an image project. */
export const createNodes: CreateNodes<ImagesPluginOptions> = [
  `**/${IMAGE_DEFINITION_FILE}`,
  (definitionFiles, options, context) => {
    const workspace = readImageWorkspace(context.workspaceRoot, definitionFiles, options);
    return definitionFiles.map((file) => {
      const image = [...workspace.projects.values()].find((candidate) => candidate.definitionFile === file)!;
      return [file, { projects: { [posix.dirname(file)]: imageProjectConfiguration(image) } }] as const;
    });
  },
];

/** An image depends on every repo image its Dockerfile builds FROM or copies from. */
export const createDependencies: CreateDependencies<ImagesPluginOptions> = (options, context) => {
  const workspace = readImageWorkspace(context.workspaceRoot, definitionFilesOf(context.workspaceRoot, context.projects), options, { listContexts: false });
  const dependencies: RawProjectGraphDependency[] = [];
  for (const image of workspace.projects.values()) {
    for (const parent of image.parents) {
      dependencies.push({ source: image.project, target: parent, type: DependencyType.static, sourceFile: image.dockerfile! });
    }
  }
  return dependencies;
};

/** Before a run: which images the engine holds, as the env inputs of the image targets (Nx carries process.env changes over). */
export const preTasksExecution: PreTasksExecution<ImagesPluginOptions> = async (options, context) => {
  for (const [name, value] of Object.entries(await imagePresenceEnv(context.workspaceRoot, options))) process.env[name] = value;
};

/** After a run: one line per image (tag, digest, size, built or reused, seconds). */
export const postTasksExecution: PostTasksExecution<ImagesPluginOptions> = (_options, context) => {
  printRunSummary(context.workspaceRoot, context.taskResults);
};
