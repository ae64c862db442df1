export { engineAddress, engineClient, assertEngineReachable, isEngineReachable } from './connect';
export { ENGINE_API, chooseApiVersion, compareApiVersions, engineApi, type NegotiatedApi } from './api-version';
export { engineFacts, hasBuildkitSourceDate, hasStartInterval, type EngineFacts, type ImageStore } from './engine-facts';
export { DEFAULT_REGISTRY, resolveRegistry, registryBaseUrl } from './registry-address';
export { dockerConfigPath, registryCredentials, type RegistryCredentials } from './docker-config';
export { readEngineStream, type EngineMessage } from './engine-stream';
export { assertBuildsUploadedContext, buildImage, BuildStepError, type BuildRequest } from './build-image';
export { formatImageSize, inspectLocalImage, tagImage, removeImage, type LocalImage } from './image-store';
export { pushAs, pushImage, pullImage, pushedDigest, registryFailure, type PushResult } from './registry-transfer';
export { importRootfs, type ImportRequest } from './import-rootfs';
export { runContainer, type RunRequest, type RunResult } from './run-container';
export { queryEngine, type EngineQuery } from './engine-query';
export { readImageFile } from './read-image-file';
export { registryHasTag, registryTagDigest } from './registry-tags';
export {
  artifactTag,
  contentDigest,
  hasBlob,
  listTags,
  OCI_EMPTY_CONFIG,
  OCI_IMAGE_MANIFEST,
  pushArtifact,
  putManifest,
  readArtifact,
  readBlob,
  readManifest,
  resolveManifest,
  uploadBlob,
  type ArtifactContent,
  type ArtifactLayer,
  type ContentDescriptor,
  type ImageManifest,
  type StoredArtifact,
  type StoredManifest,
} from './registry-artifacts';
