export { buildControlPlane, TASK_ID_PATTERN, type ControlPlane, type ControlPlaneOptions, type CreateTaskResponse } from './server';
export { AGENT_TOKEN_PREFIX, OPERATOR_TOKEN_PREFIX, MIN_OPERATOR_TOKEN_CHARS, bearerToken, generateOperatorToken, hashToken, issueAgentToken, tokenMatches } from './credentials';
export { LOST_TASK_DEFAULTS, LostTaskSweeper, type LostTaskOptions } from './lost-tasks';
export { PolicyFile, PolicyUnavailable, parsePolicyFile, policyFileContradiction, type PolicyFileContent } from './policy-file';
export { MAX_ACTION_BYTES, TaskStore, TaskConflict, ActionRefused, UnknownTask, type TaskRecord, type TaskState } from './task-store';
