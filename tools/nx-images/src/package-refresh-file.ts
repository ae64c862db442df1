import { readProjectOutput, writeProjectOutput } from './project-output-file';

/** What refresh-packages found: the Debian packages that moved since the image's last release. */
export interface PackageRefresh {
  project: string;
  /** The released version the fresh build was compared with. */
  releasedVersion: string;
  moved: string[];
  checkedAt: string;
}

const FILE = 'package-refresh.json';

export function writePackageRefresh(workspaceRoot: string, refresh: PackageRefresh): void {
  writeProjectOutput(workspaceRoot, refresh.project, FILE, refresh);
}

export function readPackageRefresh(workspaceRoot: string, project: string): PackageRefresh | undefined {
  return readProjectOutput<PackageRefresh>(workspaceRoot, project, FILE);
}
