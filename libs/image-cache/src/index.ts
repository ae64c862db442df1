export { contentKey, contentKeys, contentTag, FileHashCache } from './content-key';
export { findReusableImage, type ReuseSource } from './reuse';
export {
  ensureImage,
  checkImageUses,
  movedPackages,
  parsePackageRecord,
  PACKAGE_RECORD_PATH,
  type EnsureImageRequest,
  type ImageRecord,
  type ImageOutcome,
} from './ensure-image';
