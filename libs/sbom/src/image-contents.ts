import { debianCopyrightLicenses } from './debian-copyright';
import { parseDpkgStatus, type DebianPackage } from './dpkg-status';
import { parseGoVersionFile, type GoToolchain } from './go-toolchain';
import type { ImageFiles } from './image-files';
import { parseNpmPackage, type NpmPackage } from './npm-package';
import type { Distribution } from './package-url';
import { parsePythonMetadata, type PythonDistribution } from './python-metadata';

export interface OperatingSystem extends Distribution {
  /** `/etc/debian_version` (`12.5`) when there is one, else os-release's VERSION_ID. */
  version: string;
  prettyName?: string;
}

/** What an image holds, parsed from its files. */
export interface ImageContents {
  os?: OperatingSystem;
  debian: (DebianPackage & { licenses?: string[] })[];
  python: PythonDistribution[];
  npm: NpmPackage[];
  go: GoToolchain[];
}

/** `KEY=value` lines of os-release, quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) fields[match[1]] = match[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}

function operatingSystem(files: ImageFiles): OperatingSystem | undefined {
  if (!files.osRelease) return undefined;
  const release = parseOsRelease(files.osRelease);
  if (!release.ID || !release.VERSION_ID) return undefined;
  const debianVersion = files.debianVersion?.trim();
  return {
    id: release.ID,
    versionId: release.VERSION_ID,
    version: debianVersion && /^\d/.test(debianVersion) ? debianVersion : release.VERSION_ID,
    prettyName: release.PRETTY_NAME,
  };
}

export function imageContents(files: ImageFiles): ImageContents {
  const debian = files.dpkgStatus.flatMap((file) => parseDpkgStatus(file.text, file.path));
  return {
    os: operatingSystem(files),
    debian: debian.map((pkg) => {
      const copyright = files.copyrights[pkg.name];
      const licenses = copyright === undefined ? undefined : debianCopyrightLicenses(copyright);
      return licenses && licenses.length > 0 ? { ...pkg, licenses } : pkg;
    }),
    python: files.python.flatMap((file) => parsePythonMetadata(file.text, file.path) ?? []),
    npm: files.npm.flatMap((file) => parseNpmPackage(file.text, file.path) ?? []),
    go: files.go.flatMap((file) => parseGoVersionFile(file.text, file.path) ?? []),
  };
}
