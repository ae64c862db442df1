import type { DebianPackage } from './dpkg-status';
import { normalizePythonName } from './python-metadata';

/** The distribution the image is (from its os-release): `debian` and `12` give `pkg:deb/debian/...?distro=debian-12`. */
export interface Distribution {
  id: string;
  versionId: string;
}

/**
 * A package URL (purl): every part percent-encoded as a URI component (so a
 * Debian epoch's `:` is `%3A` and a `+` is `%2B`; decodeURIComponent gives back
 * the exact version), qualifiers sorted by key, empty ones left out.
 */
export function packageUrl(type: string, namespace: string | undefined, name: string, version?: string, qualifiers: Record<string, string | undefined> = {}): string {
  const path = [...(namespace ? namespace.split('/').map(encodeURIComponent) : []), encodeURIComponent(name)].join('/');
  const query = Object.entries(qualifiers)
    .filter((entry): entry is [string, string] => !!entry[1])
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&');
  return `pkg:${type}/${path}${version ? `@${encodeURIComponent(version)}` : ''}${query ? `?${query}` : ''}`;
}

/** `pkg:deb/debian/<name>@<version>?arch=<arch>&distro=debian-12`, the version exactly as dpkg recorded it. */
export function debianPackageUrl(pkg: Pick<DebianPackage, 'name' | 'version' | 'architecture'>, distribution: Distribution): string {
  return packageUrl('deb', distribution.id, pkg.name, pkg.version, { arch: pkg.architecture, distro: `${distribution.id}-${distribution.versionId}` });
}

export function pythonPackageUrl(name: string, version: string): string {
  return packageUrl('pypi', undefined, normalizePythonName(name), version);
}

/** `pkg:npm/%40scope/name@version` for a scoped package (the scope is the namespace). */
export function npmPackageUrl(name: string, version: string): string {
  const scoped = /^(@[^/]+)\/(.+)$/.exec(name);
  return scoped ? packageUrl('npm', scoped[1], scoped[2].toLowerCase(), version) : packageUrl('npm', undefined, name.toLowerCase(), version);
}

export function goStdlibPackageUrl(version: string): string {
  return packageUrl('golang', undefined, 'stdlib', version);
}

/** `pkg:oci/<name>@sha256%3A...?arch=...&repository_url=<registry/repository>&tag=...` for an image with a known manifest digest. */
export function ociPackageUrl(name: string, digest: string, qualifiers: { repositoryUrl?: string; tag?: string; arch?: string }): string {
  return packageUrl('oci', undefined, name.toLowerCase(), digest, { arch: qualifiers.arch, repository_url: qualifiers.repositoryUrl, tag: qualifiers.tag });
}
