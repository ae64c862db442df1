import {
  AggregateCreateNodesError,
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
import { definitionFilesOf, readImageWorkspaceSettled } from './image-workspace-loader';
import { imageProjectConfiguration } from './image-targets';
import { imageToolInputDefinitions, readImageToolInputs } from './image-tool-inputs';
import { imageReleaseContext } from './release/release-step-targets';
import { PLUGIN_NAME, type ImagesPluginOptions } from './plugin-options';
import { printRunSummary } from './run-summary';

export const name = PLUGIN_NAME;

/**
 * Every folder with an image.json is an image project. Every mistake in the
 * images' files (a bad image.json or VERSION, a FROM naming an in-repo image
 * that does not exist) is reported here, where Nx reads the graph, each on a
 * line of its own; the images that read well are still given to Nx.
 */
export const createNodes: CreateNodes<ImagesPluginOptions> = [
  `**/${IMAGE_DEFINITION_FILE}`,
  async (definitionFiles, options, context) => {
    const { workspace, errors } = readImageWorkspaceSettled(context.workspaceRoot, definitionFiles, options);
    const toolInputs = imageToolInputDefinitions(readImageToolInputs(context.workspaceRoot), context.nxJsonConfiguration);
    const release = await imageReleaseContext(context.workspaceRoot, workspace, context.nxJsonConfiguration);
    const results = definitionFiles.flatMap((file) => {
      const image = [...workspace.projects.values()].find((candidate) => candidate.definitionFile === file);
      return image ? [[file, { projects: { [posix.dirname(file)]: imageProjectConfiguration(image, toolInputs, release) } }] as const] : [];
    });
    // Without a file name: Nx would print it on a line of its own above the message, which already names the file (and line).
    if (errors.length > 0) throw new AggregateCreateNodesError(errors.map((error) => [null, withoutStack(error)]), results);
    return results;
  },
];

/** A user error as Nx shows it: `nx graph` prints each error's stack too, and a user error has no stack worth showing. */
function withoutStack(error: Error): Error {
  error.stack = error.message;
  return error;
}

/**
 * An image depends on every repo image its Dockerfile builds FROM or copies
 * from. Mistakes are left to createNodes, which reports each one once; an
 * unknown name draws no edge.
 */
export const createDependencies: CreateDependencies<ImagesPluginOptions> = (options, context) => {
  const { workspace } = readImageWorkspaceSettled(context.workspaceRoot, definitionFilesOf(context.workspaceRoot, context.projects), options, { listContexts: false });
  const dependencies: RawProjectGraphDependency[] = [];
  for (const image of workspace.projects.values()) {
    for (const parent of image.parents) {
      dependencies.push({ source: image.project, target: parent, type: DependencyType.static, sourceFile: image.dockerfile! });
    }
  }
  return dependencies;
};

/**
 * Before a run: which images the engine holds, as the env inputs of the image targets (Nx carries process.env changes over).
 * Only for a run that may contain image tasks; Nx gives this hook the run's argv, not its tasks.
 */
export const preTasksExecution: PreTasksExecution<ImagesPluginOptions> = async (options, context) => {
  for (const [name, value] of Object.entries(await imagePresenceEnv(context.workspaceRoot, options, context.argv))) process.env[name] = value;
};

/** After a run: one line per image (tag, digest, size, built or reused, seconds). */
export const postTasksExecution: PostTasksExecution<ImagesPluginOptions> = (_options, context) => {
  printRunSummary(context.workspaceRoot, context.taskResults);
};
