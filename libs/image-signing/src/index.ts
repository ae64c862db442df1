export {
  PayloadFormatError,
  parseSimpleSigningPayload,
  SIGNATURE_ANNOTATION,
  SIGNATURE_CONFIG_MEDIA_TYPE,
  SIGNATURE_TAG_SUFFIX,
  SIGNATURE_TYPE,
  signatureConfig,
  SIMPLE_SIGNING_MEDIA_TYPE,
  simpleSigningPayload,
  type SimpleSigningPayload,
} from './signature-format';
export {
  generateSigningKeyPair,
  keyFingerprint,
  loadSigningKey,
  loadVerificationKey,
  signPayload,
  verifyPayload,
  type KeyPairPem,
  type SigningKey,
  type VerificationKey,
} from './signing-keys';
export {
  defaultKeyPairDir,
  PRIVATE_KEY_FILE_NAME,
  PUBLIC_KEY_FILE_NAME,
  PUBLIC_KEY_FILE_VARIABLE,
  PUBLIC_KEY_VARIABLE,
  REPO_PUBLIC_KEY_FILE,
  SIGNING_KEY_FILE_VARIABLE,
  SIGNING_KEY_VARIABLE,
  signingKeyFromEnvironment,
  verificationKeyFromEnvironment,
} from './key-sources';
export { writeSigningKeyPair, type WrittenKeyPair } from './key-pair-files';
export { signImage, type SignOptions, type SignResult } from './sign-image';
export { verifyImage, type VerifiedImage, type VerifyOptions } from './verify-image';
export { acceptedSignature, type SignatureLayer, type SignatureVerdict } from './signature-check';
export { ATTACHED_ARTIFACT_SUFFIXES, checkAttachedArtifacts, type AttachedArtifact } from './attached-artifacts';
export { type TransparencyLogOptions } from './transparency-log';
