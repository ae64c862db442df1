export { contentKey, contentKeys, contentTag, FileHashCache } from './content-key';
export { findReusableImage, type ReuseSource } from './reuse';
export { ensureImage, checkImageUses, type EnsureImageRequest, type ImageRecord, type ImageOutcome } from './ensure-image';
