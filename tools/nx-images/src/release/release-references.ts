import { registryTagsForRelease, releasedVersions, type ReleaseTagFormat } from '@taskforge/release';

/**
 * Registry references of a release: `registry/name:X.Y.Z` first, then the lines it leads (X.Y, X, latest).
 * `tagFormat` is the image's release tag format (release-config.ts), `tagNames` the repository's tags.
 * Pure (the caller reads both), so publish planning is unit-tested without git or an engine.
 */
export function releaseReferences(registry: string, image: { name: string; tagFormat: ReleaseTagFormat }, version: string, tagNames: readonly string[]): string[] {
  const released = releasedVersions(image.tagFormat, tagNames);
  return registryTagsForRelease(version, [...released, version]).map((tag) => `${registry}/${image.name}:${tag}`);
}
