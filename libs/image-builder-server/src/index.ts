export { buildImageBuilderServer, type ImageBuilderServer, type ImageBuilderServerOptions } from './server';
export { BUILDER_VERSION, LAYERS_REPOSITORY, QueueFull, TASK_IMAGE_REPOSITORY, TaskImageBuilder, type TaskImageBuilderOptions } from './task-image-builder';
export { SqliteBuildStore } from './sqlite-build-store';
export { queuedBuild, type BuildRecord, type BuildState } from './build-record';
