import { describePublishPlan, publishImage } from '../../release/publish-image';
import { projectExecutor } from '../executor-context';
import type { ReleasePublishExecutorOptions } from './schema';

export default projectExecutor<ReleasePublishExecutorOptions>(async (run, options) => {
  const decided = options.nxReleaseVersionData?.[run.project];
  if (decided && !decided.newVersion) {
    run.print('not part of this release: nothing to publish');
    return;
  }
  if (options.dryRun || process.env.NX_DRY_RUN === 'true') {
    const task = run.task();
    const version = decided?.newVersion ?? task.workspace.projects.get(run.project)!.version;
    run.print(`dry run: ${describePublishPlan(task, version)}`);
    return;
  }
  await publishImage(await run.engine(), run.task());
});
