import type { PromiseExecutor } from '@nx/devkit';
import { contentTag } from '@taskforge/image-cache';
import { runImageChecks } from '@taskforge/image-checks';
import { imageTaskContext, reportFailure } from '../executor-context';
import type { TestImageExecutorOptions } from './schema';

const testImageExecutor: PromiseExecutor<TestImageExecutorOptions> = async (_options, context) => {
  const project = context.projectName!;
  try {
    const task = await imageTaskContext(context);
    const image = task.workspace.projects.get(project)!;
    const key = task.keys.get(project)!;
    const results = await runImageChecks(task.docker, image, `${image.definition.name}:${contentTag(key)}`, key, task.print, task.workspaceRoot);
    const failed = results.filter((result) => !result.passed);
    task.print(`${results.length - failed.length} passed, ${failed.length} failed`);
    if (failed.length > 0) {
      console.error(`[${project}] ERROR: ${failed.map((f) => f.name).join(', ')} failed; see the lines above.`);
      return { success: false };
    }
    return { success: true };
  } catch (error) {
    return reportFailure(project, error);
  }
};

export default testImageExecutor;
