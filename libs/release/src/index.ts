export { VERSION_PLACEHOLDER, type ReleaseTagFormat, releaseTagName, releasedVersions, latestRelease, registryTagsForRelease } from './release-tags';
export { assertCleanWorkingTree } from './clean-working-tree';
export { repinImage, pinnedVersion } from './dockerfile-pins';
export { renderChangelogEntry, type ChangelogCommit, type ChangelogEntryInput, type ChangelogSection } from './changelog-entry';
