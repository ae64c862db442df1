import { compare, major, minor, valid } from 'semver';

/** Nx release's tag pattern; `nx.json` release.releaseTag.pattern must say the same. */
export const RELEASE_TAG_PATTERN = '{projectName}-v{version}';

/** `agent-base`, `1.0.1` -> `agent-base-v1.0.1`. */
export function releaseTagName(project: string, version: string): string {
  return RELEASE_TAG_PATTERN.replace('{projectName}', project).replace('{version}', version);
}

/** The released versions of `project` among git tag names. */
export function releasedVersions(project: string, tagNames: readonly string[]): string[] {
  const prefix = releaseTagName(project, '');
  return tagNames
    .filter((tag) => tag.startsWith(prefix))
    .map((tag) => tag.slice(prefix.length))
    .filter((version) => valid(version) !== null);
}

/** The highest released version of `project`, or the highest below `below`; undefined when there is none. */
export function latestRelease(project: string, tagNames: readonly string[], below?: string): string | undefined {
  return releasedVersions(project, tagNames)
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
