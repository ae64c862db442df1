import { registryTagsForRelease, releasedVersions } from '@taskforge/release';

/**
 * Registry references of a release: `registry/name:X.Y.Z` first, then the lines it leads (X.Y, X, latest).
 * Pure (the caller reads the repository's tag names), so publish planning is unit-tested without git or an engine.
 */
export function releaseReferences(registry: string, image: { project: string; name: string }, version: string, tagNames: readonly string[]): string[] {
  const released = releasedVersions(image.project, tagNames);
  return registryTagsForRelease(version, [...released, version]).map((tag) => `${registry}/${image.name}:${tag}`);
}
