import {
  DependencyType,
  type CreateDependencies,
  type CreateNodes,
  type PostTasksExecution,
  type RawProjectGraphDependency,
} from '@nx/devkit';
import { posix } from 'node:path';
import { IMAGE_DEFINITION_FILE } from '@taskforge/image-model';
import { definitionFilesOf, loadImages } from './image-workspace-loader';
import { imageProjectConfiguration } from './image-targets';
import { PLUGIN_NAME, type ImagesPluginOptions } from './plugin-options';
import { printRunSummary } from './run-summary';

export const name = PLUGIN_NAME;

/** Every folder with an image.json is an image project. */
export const createNodes: CreateNodes<ImagesPluginOptions> = [
  `**/${IMAGE_DEFINITION_FILE}`,
  (definitionFiles, options, context) => {
    const { workspace, keys } = loadImages(context.workspaceRoot, definitionFiles, options);
    return definitionFiles.map((file) => {
      const image = [...workspace.projects.values()].find((candidate) => candidate.definitionFile === file)!;
      return [file, { projects: { [posix.dirname(file)]: imageProjectConfiguration(image, keys.get(image.project)!) } }] as const;
    });
  },
];

/** An image depends on every repo image its Dockerfile builds FROM or copies from. */
export const createDependencies: CreateDependencies<ImagesPluginOptions> = (options, context) => {
  const { workspace } = loadImages(context.workspaceRoot, definitionFilesOf(context.workspaceRoot, context.projects), options);
  const dependencies: RawProjectGraphDependency[] = [];
  for (const image of workspace.projects.values()) {
    for (const parent of image.parents) {
      dependencies.push({ source: image.project, target: parent, type: DependencyType.static, sourceFile: image.dockerfile! });
    }
  }
  return dependencies;
};

/** After a run: one line per image (tag, digest, size, built or reused, seconds). */
export const postTasksExecution: PostTasksExecution<ImagesPluginOptions> = (_options, context) => {
  printRunSummary(context.workspaceRoot, context.taskResults);
};
