import type { PromiseExecutor } from '@nx/devkit';
import { definitionFilesOf, loadImages } from '../../image-workspace-loader';
import { optionsFromNxJson } from '../../plugin-options';
import { describePublishPlan, publishImage } from '../../release/publish-image';
import { imageTaskContext, reportFailure } from '../executor-context';
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
      const projects = context.projectsConfigurations.projects;
      const pluginOptions = optionsFromNxJson(context.nxJsonConfiguration);
      const loaded = loadImages(context.root, definitionFilesOf(context.root, projects), { ...pluginOptions, registry: options.registry ?? pluginOptions.registry }, projects, project);
      const version = decided?.newVersion ?? loaded.workspace.projects.get(project)!.version;
      print(`dry run: ${describePublishPlan({ ...loaded, workspaceRoot: context.root, project, print }, version)}`);
      return { success: true };
    }
    const task = await imageTaskContext(context, options.registry);
    await publishImage(task.docker, { ...task, project, print: task.print });
    return { success: true };
  } catch (error) {
    return reportFailure(project, error);
  }
};

export default releasePublishExecutor;
