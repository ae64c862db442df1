export {
  IMAGE_DEFINITION_FILE,
  IMAGE_TESTS_DIR,
  imageTestCommand,
  STANDARD_TEST_COMMAND,
  imageDefinitionSchema,
  imageDefinitionJsonSchema,
  parseImageDefinition,
  parseImageDefinitionText,
  readImageDefinition,
  type ImageDefinition,
  type RootfsRecipe,
} from './image-definition';
export { dockerfileWithout, readDockerfileImages, substituteArgs, type DockerfileFeature, type DockerfileImages, type ImageUse } from './dockerfile';
export { parseImageReference, formatImageReference, type ImageReference } from './image-reference';
export { listBuildContextFiles, contextFileTraits } from './build-context';
export { resolveImageUse, tagFollowsProject, type ImageNode, type ResolvedUse, type ResolveOptions } from './image-graph';
export {
  loadImageWorkspace,
  loadImageWorkspaceSettled,
  buildOrder,
  readVersionFile,
  parseVersionText,
  type ImageProject,
  type ImageWorkspace,
  type SettledImageWorkspace,
} from './image-workspace';
export { imageLabels, REQUIRED_LABELS, BASE_CONTENT_KEY_LABEL, CONTENT_KEY_LABEL, PROJECT_LABEL, type LabelFacts } from './image-labels';
export {
  TASK_BUILD_DEFAULTS_FILE,
  taskBuildDefaultsSchema,
  parseTaskBuildDefaults,
  readTaskBuildDefaults,
  type TaskBuildDefaults,
} from './task-build-defaults';
export { sourceDate, sourceDateEpoch } from './source-date';
