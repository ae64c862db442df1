export {
  createFixtureWorkspace,
  fanOutImages,
  REPO_ROOT,
  run,
  runNx,
  runNxOrThrow,
  type CommandResult,
  type FixtureImage,
  type FixtureWorkspace,
} from './fixture-workspace';
export { engineForTests, readFileFromImage, removeImagesNamed } from './engine-images';
export { repoImage } from './repo-images';
export { startScratchRegistry, tagDigest, type ScratchRegistry } from './scratch-registry';
export { startAuthRegistry, type AuthRegistry } from './auth-registry';
export {
  healthOf,
  IMAGE,
  OPERATOR_TOKEN,
  startAgent,
  startHarness,
  TEST_RULES,
  waitFor,
  type AgentRun,
  type AgentStartOptions,
  type Harness,
  type HarnessOptions,
} from './agent-harness';
export { execIn } from './container-exec';
