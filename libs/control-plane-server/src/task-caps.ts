const MiB = 1024 * 1024;

/**
 * What tasks may store, so that one task cannot exhaust the control plane
 * every task shares. Bytes are UTF-8 bytes of JSON, as the runtime sends and
 * the operator reads them.
 */
export interface TaskCaps {
  /**
   * Actions one task may be given over its life (queued, dispatched or done).
   * Each action gets at most one result, so this caps a task's results too.
   * Env: CONTROL_PLANE_MAX_TASK_ACTIONS.
   */
  maxTaskActions: number;
  /** Bytes of one task's actions and results together. Env: CONTROL_PLANE_MAX_TASK_BYTES. */
  maxTaskBytes: number;
  /** Bytes of every task's actions and results together: what the database may hold. Env: CONTROL_PLANE_MAX_STORED_BYTES. */
  maxStoredBytes: number;
}

/**
 * Sized for real tasks, not for the largest message:
 * - 10,000 actions: an agent working for hours runs a few thousand commands;
 *   a row each in the database, nothing in memory.
 * - 64 MiB per task: 500 results at the runtime's default output cap (64 KiB
 *   of stdout and of stderr each), thousands of typical ones, eight of the
 *   contract's largest (8 MiB). `GET /v1/tasks/:id` reads a whole task to
 *   answer, so this also bounds what one such answer costs in memory.
 * - 4 GiB in all: 64 tasks at their cap, on disk (SQLite or PostgreSQL).
 */
export const TASK_CAP_DEFAULTS: TaskCaps = { maxTaskActions: 10_000, maxTaskBytes: 64 * MiB, maxStoredBytes: 4 * 1024 * MiB };

/** The setting each cap comes from: the buildControlPlane option and the environment variable of apps/control-plane. */
export const TASK_CAP_SETTINGS: Record<keyof TaskCaps, string> = {
  maxTaskActions: 'maxTaskActions, CONTROL_PLANE_MAX_TASK_ACTIONS',
  maxTaskBytes: 'maxTaskBytes, CONTROL_PLANE_MAX_TASK_BYTES',
  maxStoredBytes: 'maxStoredBytes, CONTROL_PLANE_MAX_STORED_BYTES',
};

/** The caps with defaults filled in; a cap that is not a positive integer is refused with one line naming it. */
export function resolveTaskCaps(caps: Partial<TaskCaps> = {}): TaskCaps {
  const resolved = { ...TASK_CAP_DEFAULTS };
  for (const name of Object.keys(TASK_CAP_DEFAULTS) as Array<keyof TaskCaps>) {
    const value = caps[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not ${value}`);
    resolved[name] = value;
  }
  return resolved;
}

/** 413: what a request would add does not fit in its task's caps. */
export class TaskQuotaExceeded extends Error {}
/** 507 (to the operator): the store as a whole holds maxStoredBytes already. */
export class StoreFull extends Error {}
/**
 * 413 on the result route: a result over a cap. The action is settled with a
 * small placeholder (status, decision, why), so the task can still finish;
 * the runtime keeps the whole result in its log (`result_rejected`).
 */
export class ResultNotStored extends Error {}

export const formatBytes = (bytes: number): string => (bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`);
