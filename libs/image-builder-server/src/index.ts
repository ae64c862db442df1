export { buildImageBuilderServer, type ImageBuilderServer, type ImageBuilderServerOptions } from './server';
export { BUILDER_VERSION, LAYERS_REPOSITORY, QueueFull, TASK_IMAGE_REPOSITORY, TaskImageBuilder, type TaskImageBuilderOptions } from './task-image-builder';
export type { BuildPatch, BuildStore } from './build-store';
export { openBuildStore } from './open-build-store';
export { SqliteBuildStore } from './sqlite-build-store';
export { PostgresBuildStore } from './postgres-build-store';
export { queuedBuild, type BuildRecord, type BuildState } from './build-record';
