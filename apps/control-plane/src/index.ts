export { buildControlPlane, type ControlPlaneOptions } from './server';
export { PolicyFile, PolicyUnavailable, policyFileSchema } from './policy-file';
export { TaskStore, type TaskRecord } from './task-store';
