import type Docker from 'dockerode';
import { readImageFile } from '@taskforge/engine';

/** Where install-debian-packages records the resolved versions inside an image. */
export const PACKAGE_RECORD_PATH = '/usr/share/openclaw/dpkg-versions.txt';

/** `name=version` lines to a map. */
export function parsePackageRecord(text: string): Record<string, string> {
  const packages: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) packages[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return packages;
}

/** What moved between two package records: `name old -> new`, `+name version`, `-name`. */
export function movedPackages(before: Record<string, string>, after: Record<string, string>): string[] {
  const moved: string[] = [];
  for (const [name, version] of Object.entries(after)) {
    if (!(name in before)) moved.push(`+${name} ${version}`);
    else if (before[name] !== version) moved.push(`${name} ${before[name]} -> ${version}`);
  }
  for (const name of Object.keys(before)) if (!(name in after)) moved.push(`-${name}`);
  return moved.sort();
}

/** The package record of an image (by reference or ID); undefined when it keeps none. */
export async function readPackageRecord(docker: Docker, reference: string): Promise<Record<string, string> | undefined> {
  const text = await readImageFile(docker, reference, PACKAGE_RECORD_PATH);
  return text === undefined ? undefined : parsePackageRecord(text);
}
