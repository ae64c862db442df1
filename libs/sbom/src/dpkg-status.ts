import { parseControlParagraphs } from './control-paragraphs';

/** One installed Debian package as dpkg recorded it. */
export interface DebianPackage {
  name: string;
  /** Exactly as dpkg has it, epoch included (`1:2.38.1-5+b1`). */
  version: string;
  architecture: string;
  /** The source package it was built from, and that source's version (which may differ from the binary's). */
  source: string;
  sourceVersion: string;
  /** The status file it was read from. */
  location: string;
}

/**
 * Whether dpkg's `Status: <want> <flag> <state>` says the package's files are on disk: state `installed` with no
 * error flag. The wanted action does not matter (a held package, or one marked for removal, is still installed);
 * `config-files`, `half-installed`, `unpacked` and the like are not.
 */
function isInstalled(status: string | undefined, perPackageFile: boolean): boolean {
  // distroless-style status.d files describe installed packages and often carry no Status field.
  if (status === undefined) return perPackageFile;
  const [, flag, state] = status.trim().split(/\s+/);
  return flag === 'ok' && state === 'installed';
}

/** `Source: name` or `Source: name (version)`; without the field the source is the package itself at its own version. */
function sourceOf(field: string | undefined, name: string, version: string): { source: string; sourceVersion: string } {
  const match = field ? /^(\S+)(?:\s+\(([^)]+)\))?/.exec(field.trim()) : null;
  if (!match) return { source: name, sourceVersion: version };
  return { source: match[1], sourceVersion: match[2]?.trim() ?? version };
}

/**
 * The installed packages of one dpkg status file (`/var/lib/dpkg/status`, or one file of `/var/lib/dpkg/status.d/`).
 * Paragraphs without a package name, version or architecture are not packages and are skipped.
 */
export function parseDpkgStatus(text: string, location: string): DebianPackage[] {
  const perPackageFile = location.includes('/status.d/');
  const packages: DebianPackage[] = [];
  for (const paragraph of parseControlParagraphs(text)) {
    const name = paragraph.get('package');
    const version = paragraph.get('version');
    const architecture = paragraph.get('architecture');
    if (!name || !version || !architecture || !isInstalled(paragraph.get('status'), perPackageFile)) continue;
    packages.push({ name, version, architecture, ...sourceOf(paragraph.get('source'), name, version), location });
  }
  return packages;
}
