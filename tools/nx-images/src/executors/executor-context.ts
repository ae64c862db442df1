import type { ExecutorContext, PromiseExecutor } from '@nx/devkit';
import { assertEngineReachable, BuildStepError, engineClient } from '@taskforge/engine';
import { imageSettingsOf, projectLine, projectPrinter, type ImageTask } from '@taskforge/image-build';
import { describeError } from '@taskforge/user-errors';
import type Docker from 'dockerode';
import { imageSetOf } from '../image-workspace-loader';

/** What an executor body gets: its project, a printer prefixed by it, and the image task loaded on demand. */
export interface ExecutorRun {
  project: string;
  print: (line: string) => void;
  /** The project's image task (graph and content keys of it and its ancestors); no engine needed. */
  task(): ImageTask;
  /** A reachable engine, or a user error saying how to start one. */
  engine(): Promise<Docker>;
}

/**
 * Every executor of the plugin: one project, output prefixed by it, and any
 * failure reported as the step's last output and one line, never a stack
 * trace. The body returns false for a failure it has already described.
 */
export function projectExecutor<Options extends object>(
  body: (run: ExecutorRun, options: Options, context: ExecutorContext) => Promise<boolean | void>,
): PromiseExecutor<Options> {
  return async (options, context) => {
    const project = context.projectName!;
    const run: ExecutorRun = {
      project,
      print: projectPrinter(project),
      task: () => ({
        ...imageSetOf(context.root, context.projectsConfigurations.projects, imageSettingsOf(context.nxJsonConfiguration as never), project, (options as { registry?: string }).registry),
        project,
        print: projectPrinter(project),
      }),
      engine: async () => {
        const docker = engineClient();
        await assertEngineReachable(docker);
        return docker;
      },
    };
    try {
      return { success: (await body(run, options, context)) !== false };
    } catch (error) {
      return reportFailure(project, error);
    }
  };
}

/** Reports a failure the way users should see it: the step's last output, then one line. */
export function reportFailure(project: string, error: unknown): { success: false } {
  if (error instanceof BuildStepError && error.lastLines.length > 0) {
    console.error(projectLine(project, 'last output of the failing step:'));
    for (const line of error.lastLines) console.error(projectLine(project, `  ${line}`));
  }
  console.error(projectLine(project, `ERROR: ${describeError(error)}`));
  return { success: false };
}
