import type { PromiseExecutor } from '@nx/devkit';
import { describePublishPlan, publishImage } from '../../release/publish-image';
import { imageTaskContext, imageTaskGraph, reportFailure } from '../executor-context';
import type { ReleasePublishExecutorOptions } from './schema';

const releasePublishExecutor: PromiseExecutor<ReleasePublishExecutorOptions> = async (options, context) => {
  const project = context.projectName!;
  const print = (line: string) => console.log(`[${project}] ${line}`);
  try {
    const decided = options.nxReleaseVersionData?.[project];
    if (decided && !decided.newVersion) {
      print('not part of this release: nothing to publish');
      return { success: true };
    }
    if (options.dryRun || process.env.NX_DRY_RUN === 'true') {
      const graph = imageTaskGraph(context, options.registry);
      const version = decided?.newVersion ?? graph.workspace.projects.get(project)!.version;
      print(`dry run: ${describePublishPlan(graph, version)}`);
      return { success: true };
    }
    const task = await imageTaskContext(context, options.registry);
    await publishImage(task.docker, task);
    return { success: true };
  } catch (error) {
    return reportFailure(project, error);
  }
};

export default releasePublishExecutor;
