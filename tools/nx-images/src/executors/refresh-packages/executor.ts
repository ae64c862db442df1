import type { PromiseExecutor } from '@nx/devkit';
import { writePackageRefresh } from '../../package-refresh-file';
import { refreshPackages } from '../../release/refresh-packages';
import { imageTaskContext, reportFailure } from '../executor-context';
import type { RefreshPackagesExecutorOptions } from './schema';

const refreshPackagesExecutor: PromiseExecutor<RefreshPackagesExecutorOptions> = async (options, context) => {
  const project = context.projectName!;
  try {
    const task = await imageTaskContext(context, options.registry);
    const refresh = await refreshPackages(task.docker, task);
    writePackageRefresh(task.workspaceRoot, refresh);
    if (refresh.moved.length === 0) {
      task.print(`no Debian package moved since ${refresh.releasedVersion}: nothing to refresh`);
    } else {
      task.print(`${refresh.moved.length} Debian packages moved since ${refresh.releasedVersion}: ${refresh.moved.join(', ')}`);
      task.print(`release them as a patch (the changelog will list them): npx nx release patch --projects=${project}`);
    }
    return { success: true };
  } catch (error) {
    return reportFailure(project, error);
  }
};

export default refreshPackagesExecutor;
