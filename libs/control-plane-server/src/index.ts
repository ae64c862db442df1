export { buildControlPlane, TASK_ID_PATTERN, type ControlPlane, type ControlPlaneOptions, type CreateTaskResponse } from './server';
export { AGENT_TOKEN_PREFIX, OPERATOR_TOKEN_PREFIX, MIN_OPERATOR_TOKEN_CHARS, bearerToken, generateOperatorToken, hashToken, issueAgentToken, tokenMatches } from './credentials';
export { LOST_TASK_DEFAULTS, LostTaskSweeper, type LostTaskOptions } from './lost-tasks';
export { PolicyFile, PolicyUnavailable, parsePolicyFile, policyFileContradiction, type PolicyFileContent } from './policy-file';
export { MAX_ACTION_BYTES, TaskConflict, ActionRefused, UnknownTask, type TaskRecord, type TaskState, type TaskStore, type TaskSummary } from './task-store';
export { TASK_CAP_DEFAULTS, TASK_CAP_SETTINGS, ResultNotStored, StoreFull, TaskQuotaExceeded, resolveTaskCaps, type TaskCaps } from './task-caps';
export { openTaskStore, type TaskStoreLocation } from './open-task-store';
export { SqlTaskStore } from './sql-task-store';
export { SQLITE_FILE } from './sqlite-database';
