import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What refresh-packages found: the Debian packages that moved since the image's last release. */
export interface PackageRefresh {
  project: string;
  /** The released version the fresh build was compared with. */
  releasedVersion: string;
  moved: string[];
  checkedAt: string;
}

export function packageRefreshPath(workspaceRoot: string, project: string): string {
  return join(workspaceRoot, 'dist', 'images', project, 'package-refresh.json');
}

export function writePackageRefresh(workspaceRoot: string, refresh: PackageRefresh): void {
  const file = packageRefreshPath(workspaceRoot, refresh.project);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(refresh, null, 2)}\n`);
}

export function readPackageRefresh(workspaceRoot: string, project: string): PackageRefresh | undefined {
  const file = packageRefreshPath(workspaceRoot, project);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PackageRefresh) : undefined;
}
