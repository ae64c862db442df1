export { contentKey, contentKeys, contentTag, FileHashCache } from './content-key';
export { findReusableImage, type ReuseSource } from './reuse';
export { movedPackages, parsePackageRecord, readPackageRecord, PACKAGE_RECORD_PATH } from './package-record';
export {
  ensureImage,
  checkImageUses,
  dockerfileBuild,
  type EnsureImageRequest,
  type ImageRecord,
  type ImageOutcome,
} from './ensure-image';
