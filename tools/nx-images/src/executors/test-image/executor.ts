import { imageNames, projectLine, taskImage } from '@taskforge/image-build';
import { runImageChecks } from '@taskforge/image-checks';
import { projectExecutor } from '../executor-context';
import type { TestImageExecutorOptions } from './schema';

export default projectExecutor<TestImageExecutorOptions>(async (run) => {
  const task = run.task();
  const key = task.keys.get(run.project)!;
  const results = await runImageChecks(await run.engine(), taskImage(task), imageNames(task, run.project).content, key, run.print, task.workspaceRoot);
  const failed = results.filter((result) => !result.passed);
  run.print(`${results.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length === 0) return true;
  console.error(projectLine(run.project, `ERROR: ${failed.map((f) => f.name).join(', ')} failed; see the lines above.`));
  return false;
});
