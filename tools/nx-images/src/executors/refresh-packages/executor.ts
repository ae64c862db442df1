import { writePackageRefresh } from '../../package-refresh-file';
import { refreshPackages } from '../../release/refresh-packages';
import { projectExecutor } from '../executor-context';
import type { RefreshPackagesExecutorOptions } from './schema';

export default projectExecutor<RefreshPackagesExecutorOptions>(async (run) => {
  const task = run.task();
  const refresh = await refreshPackages(await run.engine(), task);
  writePackageRefresh(task.workspaceRoot, refresh);
  if (refresh.moved.length === 0) {
    run.print(`no Debian package moved since ${refresh.releasedVersion}: nothing to refresh`);
  } else {
    run.print(`${refresh.moved.length} Debian packages moved since ${refresh.releasedVersion}: ${refresh.moved.join(', ')}`);
    run.print(`release them as a patch (the changelog will list them): npx nx release patch --projects=${run.project}`);
  }
});
