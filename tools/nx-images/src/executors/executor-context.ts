import type { ExecutorContext } from '@nx/devkit';
import { assertEngineReachable, engineClient } from '@taskforge/engine';
import { BuildStepError } from '@taskforge/engine';
import { describeError } from '@taskforge/user-errors';
import type Docker from 'dockerode';
import { definitionFilesOf, loadImages, type ImageTaskGraph } from '../image-workspace-loader';
import { optionsFromNxJson } from '../plugin-options';

export interface ImageTaskContext extends ImageTaskGraph {
  docker: Docker;
}

/** The image graph and content keys for a task, with a printer prefixed by the project; no engine needed. */
export function imageTaskGraph(context: ExecutorContext, registryOverride?: string): ImageTaskGraph {
  const project = context.projectName!;
  const pluginOptions = optionsFromNxJson(context.nxJsonConfiguration);
  const projects = context.projectsConfigurations.projects;
  const options = { ...pluginOptions, registry: registryOverride ?? pluginOptions.registry };
  const loaded = loadImages(context.root, definitionFilesOf(context.root, projects), options, projects, project);
  return { ...loaded, project, workspaceRoot: context.root, print: (line) => console.log(`[${project}] ${line}`) };
}

/** Everything an image executor needs: the image graph, content keys, a reachable engine, a prefixed printer. */
export async function imageTaskContext(context: ExecutorContext, registryOverride?: string): Promise<ImageTaskContext> {
  const graph = imageTaskGraph(context, registryOverride);
  const docker = engineClient();
  await assertEngineReachable(docker);
  return { ...graph, docker };
}

/** Reports a failure the way users should see it: the step's last output, then one line. */
export function reportFailure(project: string, error: unknown): { success: false } {
  if (error instanceof BuildStepError && error.lastLines.length > 0) {
    console.error(`[${project}] last output of the failing step:`);
    for (const line of error.lastLines) console.error(`[${project}]   ${line}`);
  }
  console.error(`[${project}] ERROR: ${describeError(error)}`);
  return { success: false };
}
