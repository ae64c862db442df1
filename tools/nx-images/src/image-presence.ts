import { readCachedProjectGraph, type ProjectConfiguration, type ProjectGraph } from '@nx/devkit';
import { randomUUID } from 'node:crypto';
import { engineClient, queryEngine } from '@taskforge/engine';
import {
  ENGINE_LACKS_VARIABLE,
  engineLacksVariable,
  imageNames,
  lacksAtApi,
  OUTSIDE_IMAGES_VARIABLE,
  outsideImagesVariable,
  outsideReferences,
  resolveOutsideImages,
} from '@taskforge/image-build';
import { definitionFilesOf, imageSetOf, readImageWorkspace } from './image-workspace-loader';
import { PLUGIN_NAME, type ImagesPluginOptions } from './plugin-options';
import { requestedTasks, runMayInclude } from './run-tasks';

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

/**
 * Whether a run of this command line (the run's process.argv) may contain a
 * task that needs what imagePresenceEnv reports: a task of one of the
 * plugin's executors (each reads the image set, whose content keys take the
 * run's outside-image digests) or one whose inputs hash a presence variable.
 * A command line it cannot read may contain anything (see run-tasks.ts).
 */
export function runNeedsImageState(graph: ProjectGraph, argv: readonly string[]): boolean {
  const requested = requestedTasks(argv);
  if (!requested) return true;
  return runMayInclude(graph, requested, (project, target) => {
    const configuration = graph.nodes[project].data.targets?.[target];
    const hashesPresence = (configuration?.inputs ?? []).some((input) => typeof input === 'object' && 'env' in input && input.env === presenceVariable(project));
    return !!configuration?.executor?.startsWith(`${PLUGIN_NAME}:`) || hashesPresence;
  });
}

/**
 * One set of engine queries per Nx run (from the plugin's preTasksExecution) instead
 * of one process per task. Outside images are resolved to digests first,
 * once for the whole run, and handed to every task with the rest: a moved
 * outside tag changes the content key, so the image is missing and Nx runs
 * build-image instead of replaying its cached result. Given the run's
 * `argv`, a run without image tasks (`nx run some-lib:test`) asks the
 * engine nothing and gets no variables.
 */
export async function imagePresenceEnv(workspaceRoot: string, options: ImagesPluginOptions | undefined, argv?: readonly string[]): Promise<Record<string, string>> {
  const graph = readCachedProjectGraph();
  if (argv && !runNeedsImageState(graph, argv)) return {};
  const projects: Record<string, ProjectConfiguration> = {};
  for (const node of Object.values(graph.nodes)) projects[node.name] = node.data;
  const graphOnly = readImageWorkspace(workspaceRoot, definitionFilesOf(workspaceRoot, projects), options, { listContexts: false });
  const [outside, engine] = await Promise.all([resolveOutsideImages(outsideReferences(graphOnly), engineClient), queryEngine(3000)]);
  // Unknown when the engine did not answer: the keys then assume a current engine, and build-image checks.
  const lacks = engine ? lacksAtApi(engine.apiVersion) : undefined;
  const images = imageSetOf(workspaceRoot, projects, options, undefined, undefined, outside, lacks);
  const env: Record<string, string> = { [OUTSIDE_IMAGES_VARIABLE]: outsideImagesVariable(outside) };
  if (lacks) env[ENGINE_LACKS_VARIABLE] = engineLacksVariable(lacks);
  const projectNames = [...images.workspace.projects.keys()].map((project) => ({ project, ...imageNames(images, project) }));
  const ids = (await engine?.imageIds(projectNames.flatMap((names) => [names.content, names.versioned]))) ?? new Map<string, string>();
  for (const names of projectNames) {
    const byKey = ids.get(names.content);
    const byVersion = ids.get(names.versioned);
    env[presenceVariable(names.project)] = byKey && byKey === byVersion ? byKey : `missing-${randomUUID()}`;
  }
  return env;
}
