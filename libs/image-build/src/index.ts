export { contentKey, contentKeys, contentTag, FileHashCache } from './content-key';
export { IMAGES_PLUGIN, imageSettingsOf, resolveImageSettings, type ImageSettings, type ResolvedImageSettings } from './image-settings';
export { fileHashCachePath, imageNames, loadImageSet, projectLine, projectPrinter, taskImage, type ImageNames, type ImageSet, type ImageTask } from './image-task';
export { findReusableImage, type ReuseSource } from './reuse';
export {
  movedOutsideImages,
  OUTSIDE_IMAGES_VARIABLE,
  outsideImagesOfRun,
  outsideImagesVariable,
  outsideReferences,
  resolveOutsideImages,
  type OutsideImage,
  type OutsideImages,
  type OutsideMove,
} from './outside-images';
export { movedPackages, parsePackageRecord, readPackageRecord, PACKAGE_RECORD_PATH } from './package-record';
export { builtImage, pushDevelopmentImage, shareImage } from './share-image';
export {
  ensureImage,
  checkImageUses,
  dockerfileBuild,
  type EnsureImageOptions,
  type ImageRecord,
  type ImageOutcome,
} from './ensure-image';
export { ENGINE_LACKS_VARIABLE, engineLacks, engineLacksOfRun, lacksAtApi, engineLacksVariable, lackedFeatures, lackedFeaturesNote } from './engine-dialect';
