export {
  createFixtureWorkspace,
  fanOutImages,
  NX_TEST_ENV,
  REPO_ROOT,
  run,
  runNx,
  runNxOrThrow,
  type CommandResult,
  type FixtureImage,
  type FixtureOptions,
  type FixtureWorkspace,
} from './fixture-workspace';
export { engineForTests, readFileFromImage, removeImagesNamed } from './engine-images';
export { repoImage } from './repo-images';
export { startScratchRegistry, tagDigest, type ScratchRegistry } from './scratch-registry';
export { startAuthRegistry, type AuthRegistry } from './auth-registry';
export { startTokenRegistry, type TokenRegistry, type TokenRegistryOptions, type TokenRequest } from './token-registry';
export { execIn } from './container-exec';
export { httpsJson, makeTestPki, type TestPki } from './test-pki';
export {
  commit,
  createReleaseFixture,
  errorLines,
  fixtureSigningEnv,
  fixtureSigningKey,
  head,
  imageDir,
  release,
  releaseImages,
  RELEASE_IMAGES,
  RELEASE_VARIANTS,
  tags,
  versionOf,
  withReleaseFixture,
  type FirstRelease,
  type ReleaseFixture,
  type ReleaseFixtureOptions,
} from './release-fixture';
export { buildWheel, normalizeProjectName, startPipIndex, type PipIndex, type PipPackage, type PipWheel } from './pip-index';
export { HOSTILE_CAPABILITIES, HOSTILE_TASK_IDS, UNAPPROVED_CLASS, type HostileValue } from './hostile-requests';
export { startPostgres, type PostgresServer } from './postgres-server';
export { pick, seededRandom } from './seeded-random';
export { opensslVerifies, Skopeo, upstreamSkopeoImage, type ExtractedSignature, type PolicyVerdict, type SkopeoCopy } from './independent-clients';
