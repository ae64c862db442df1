import { describePublishPlan, publishImage } from '../../release/publish-image';
import { projectReleaseTagFormat } from '../../release/release-config';
import { supplyChainOf, vulnerabilityDatabaseOf } from '../../release/supply-chain';
import { projectExecutor } from '../executor-context';
import type { ReleasePublishExecutorOptions } from './schema';

export default projectExecutor<ReleasePublishExecutorOptions>(async (run, options, context) => {
  const decided = options.nxReleaseVersionData?.[run.project];
  if (decided && !decided.newVersion) {
    run.print('not part of this release: nothing to publish');
    return;
  }
  // The image's release tags as nx.json names them (release.releaseTag.pattern, resolved by Nx).
  const tagFormat = await projectReleaseTagFormat(context.root, run.project, { graph: context.projectGraph, nxJson: context.nxJsonConfiguration });
  if (options.dryRun || process.env.NX_DRY_RUN === 'true') {
    const task = run.task();
    const version = decided?.newVersion ?? task.workspace.projects.get(run.project)!.version;
    run.print(`dry run: ${describePublishPlan(task, tagFormat, version, vulnerabilityDatabaseOf(context.nxJsonConfiguration))}`);
    return;
  }
  // Before the engine, the build and any push: a release that cannot sign publishes nothing.
  const supplyChain = supplyChainOf(context.nxJsonConfiguration);
  await publishImage(await run.engine(), run.task(), tagFormat, supplyChain);
});
