import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { readVersionFile } from '@taskforge/image-model';
import { projectExecutor } from '../executor-context';
import type { ReleaseChangelogExecutorOptions } from './schema';

/** The Nx CLI of the workspace, run with this Node: no shell, so the step runs the same on every platform. */
function nxCli(workspaceRoot: string): string {
  const packageJson = require.resolve('nx/package.json', { paths: [workspaceRoot] });
  const { bin } = JSON.parse(readFileSync(packageJson, 'utf8')) as { bin: Record<string, string> };
  return join(dirname(packageJson), bin.nx);
}

/**
 * `nx release changelog <VERSION> --projects=<project>` without committing or tagging: the image's CHANGELOG.md
 * entry for the version its VERSION file holds (read here, not by a shell), as `nx release` writes it.
 */
export default projectExecutor<ReleaseChangelogExecutorOptions>(async ({ project }, options, context) => {
  const root = context.projectsConfigurations.projects[project].root;
  const version = readVersionFile(join(context.root, root, 'VERSION'), posix.join(root, 'VERSION'));
  const args = ['release', 'changelog', version, `--projects=${project}`, '--git-commit=false', '--git-tag=false'];
  if (options.dryRun) args.push('--dry-run');
  if (options.verbose) args.push('--verbose');
  const result = spawnSync(process.execPath, [nxCli(context.root), ...args], { cwd: context.root, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status === 0;
});
