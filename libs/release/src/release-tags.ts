import { compare, major, minor, valid } from 'semver';

/** Where a release tag format takes the version. */
export const VERSION_PLACEHOLDER = '{version}';

/**
 * One project's release tags, as `nx release` names them: nx.json's
 * `release.releaseTag.pattern` with the project's name and release group
 * filled in and `{version}` left open (`agent-base@{version}`,
 * `agent-base-v{version}`). Callers take it from the release config Nx
 * resolves, so the tags read and written here are the tags Nx reads and writes.
 */
export type ReleaseTagFormat = string;

function formatParts(format: ReleaseTagFormat): { prefix: string; suffix: string } {
  const at = format.indexOf(VERSION_PLACEHOLDER);
  if (at === -1 || format.indexOf(VERSION_PLACEHOLDER, at + 1) !== -1) {
    throw new Error(`release tag format "${format}" must hold ${VERSION_PLACEHOLDER} exactly once`);
  }
  return { prefix: format.slice(0, at), suffix: format.slice(at + VERSION_PLACEHOLDER.length) };
}

/** `agent-base@{version}`, `1.0.1` -> `agent-base@1.0.1`. */
export function releaseTagName(format: ReleaseTagFormat, version: string): string {
  const { prefix, suffix } = formatParts(format);
  return `${prefix}${version}${suffix}`;
}

/** The released versions among git tag names: the tags of `format` whose version part is a semantic version. */
export function releasedVersions(format: ReleaseTagFormat, tagNames: readonly string[]): string[] {
  const { prefix, suffix } = formatParts(format);
  return tagNames
    .filter((tag) => tag.length > prefix.length + suffix.length && tag.startsWith(prefix) && tag.endsWith(suffix))
    .map((tag) => tag.slice(prefix.length, tag.length - suffix.length))
    .filter((version) => valid(version) === version);
}

/** The highest released version of `format`, or the highest below `below`; undefined when there is none. */
export function latestRelease(format: ReleaseTagFormat, tagNames: readonly string[], below?: string): string | undefined {
  return releasedVersions(format, tagNames)
    .filter((version) => !below || compare(version, below) < 0)
    .sort(compare)
    .pop();
}

/**
 * Registry tags a release of `version` gets: `X.Y.Z` always; `X.Y`, `X` and
 * `latest` only while no other released version is higher in that line, so
 * a hotfix of an old line never moves the newer lines' tags.
 */
export function registryTagsForRelease(version: string, released: readonly string[]): string[] {
  const others = released.filter((other) => other !== version && valid(other) && !/-/.test(other));
  const highest = (candidates: string[]) => candidates.every((other) => compare(other, version) < 0);
  const tags = [version];
  if (/-/.test(version)) return tags; // a prerelease moves no line
  if (highest(others.filter((o) => major(o) === major(version) && minor(o) === minor(version)))) tags.push(`${major(version)}.${minor(version)}`);
  if (highest(others.filter((o) => major(o) === major(version)))) tags.push(`${major(version)}`);
  if (highest(others)) tags.push('latest');
  return tags;
}
