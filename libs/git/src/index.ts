export { createAnnotatedTag, filesChangedSince, gitRevision, listTags, sourceUrl, tagCommit, uncommittedChanges } from './git';
