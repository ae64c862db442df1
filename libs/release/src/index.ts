export { RELEASE_TAG_PATTERN, releaseTagName, releasedVersions, latestRelease, registryTagsForRelease } from './release-tags';
export { assertCleanWorkingTree } from './clean-working-tree';
export { repinImage, pinnedVersion } from './dockerfile-pins';
export { renderChangelogEntry, type ChangelogCommit, type ChangelogEntryInput } from './changelog-entry';
