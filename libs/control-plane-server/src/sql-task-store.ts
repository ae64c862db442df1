import { isDeepStrictEqual } from 'node:util';
import { randomUUID } from 'node:crypto';
import type { Action, ActionResult, Heartbeat, NextActionResponse, RegisterRequest } from '@taskforge/agent-contract';
import { issueAgentToken, tokenMatches } from './credentials';
import type { SqlDatabase, SqlSession } from './sql-database';
import { formatBytes, resolveTaskCaps, ResultNotStored, StoreFull, TASK_CAP_SETTINGS, TaskQuotaExceeded, type TaskCaps } from './task-caps';
import {
  actionsAsJson,
  MAX_PLACEHOLDER_BYTES,
  placeholderFor,
  TaskConflict,
  UnknownTask,
  type TaskRecord,
  type TaskState,
  type TaskStore,
  type TaskSummary,
} from './task-store';

/**
 * One schema for SQLite and PostgreSQL. JSON is kept as TEXT, byte for byte
 * as it was accepted; positions are per-task counters on the task's row, which
 * every change of the task locks. `store_usage` is the one row that sums what
 * all tasks hold, so the cap in all is exact across replicas.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS tasks (
  task_id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'lost')),
  close_when_empty INTEGER NOT NULL,
  agent_token_sha256 TEXT NOT NULL,
  registered_agent TEXT,
  heartbeats BIGINT NOT NULL DEFAULT 0,
  last_heartbeat TEXT,
  last_agent_request_at TEXT,
  agent_requests BIGINT NOT NULL DEFAULT 0,
  lost_at TEXT,
  lost_reason TEXT,
  created_at TEXT NOT NULL,
  action_count BIGINT NOT NULL DEFAULT 0,
  dispatch_count BIGINT NOT NULL DEFAULT 0,
  result_count BIGINT NOT NULL DEFAULT 0,
  stored_bytes BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tasks_by_state ON tasks (state);
CREATE TABLE IF NOT EXISTS actions (
  task_id TEXT NOT NULL REFERENCES tasks (task_id),
  action_id TEXT NOT NULL,
  position BIGINT NOT NULL,
  action TEXT NOT NULL,
  dispatch_position BIGINT,
  result TEXT,
  result_position BIGINT,
  result_refused INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, action_id)
);
CREATE INDEX IF NOT EXISTS actions_queued ON actions (task_id, position) WHERE dispatch_position IS NULL;
CREATE TABLE IF NOT EXISTS store_usage (id INTEGER PRIMARY KEY CHECK (id = 1), bytes BIGINT NOT NULL);
INSERT INTO store_usage (id, bytes) VALUES (1, 0) ON CONFLICT DO NOTHING;
`;

const SUMMARY_COLUMNS = 'task_id, state, close_when_empty, lost_reason, agent_requests, action_count, dispatch_count, stored_bytes, agent_token_sha256';

/** Numbers come back as strings from PostgreSQL's BIGINT, as numbers from SQLite. */
interface SummaryRow {
  task_id: string;
  state: TaskState;
  close_when_empty: number;
  lost_reason: string | null;
  agent_requests: number | string;
  action_count: number | string;
  dispatch_count: number | string;
  stored_bytes: number | string;
  agent_token_sha256: string;
}

interface TaskRow extends SummaryRow {
  registered_agent: string | null;
  heartbeats: number | string;
  last_heartbeat: string | null;
  last_agent_request_at: string | null;
  lost_at: string | null;
  created_at: string;
}

interface ActionRow {
  action_id: string;
  /** Only for queued actions. */
  action: string | null;
  dispatch_position: number | string | null;
  result: string | null;
  result_position: number | string | null;
}

const summaryOf = (row: SummaryRow): TaskSummary => ({
  task_id: row.task_id,
  state: row.state,
  close_when_empty: Number(row.close_when_empty) === 1,
  lost_reason: row.lost_reason,
  agent_requests: Number(row.agent_requests),
  queued: Number(row.action_count) - Number(row.dispatch_count),
});

const byteLength = (json: string) => Buffer.byteLength(json, 'utf8');
const parse = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));

/**
 * The task store over SQL, the same for SQLite and PostgreSQL. Nothing is
 * kept in memory between requests: every answer is read from the database,
 * and ids (`constructor`, `__proto__`) are only ever bound as values.
 */
export class SqlTaskStore implements TaskStore {
  readonly caps: TaskCaps;

  constructor(
    private readonly db: SqlDatabase,
    caps: Partial<TaskCaps> = {},
  ) {
    this.caps = resolveTaskCaps(caps);
  }

  open(): Promise<void> {
    return this.db.open(SCHEMA);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async create(actions: Action[], options: { taskId?: string; closeWhenEmpty?: boolean } = {}): Promise<{ task: TaskRecord; agentToken: string }> {
    const taskId = options.taskId ?? `task-${randomUUID()}`;
    const json = actionsAsJson(taskId, actions);
    const { token, hash } = issueAgentToken();
    const task = await this.db.transaction(async (session) => {
      const inserted = await session.run(
        `INSERT INTO tasks (task_id, state, close_when_empty, agent_token_sha256, created_at) VALUES (?, 'queued', ?, ?, ?) ON CONFLICT DO NOTHING`,
        [taskId, options.closeWhenEmpty === false ? 0 : 1, hash.toString('hex'), new Date().toISOString()],
      );
      if (inserted === 0) throw new TaskConflict(`task ${taskId} already exists; pick another id`);
      const row = await this.lockedSummary(session, taskId);
      await this.addActions(session, row, actions, json);
      return this.read(session, taskId);
    });
    return { task, agentToken: token };
  }

  async has(taskId: string): Promise<boolean> {
    return this.db.transaction(async (session) => (await session.rows('SELECT 1 AS found FROM tasks WHERE task_id = ?', [taskId])).length === 1);
  }

  get(taskId: string): Promise<TaskRecord> {
    return this.db.transaction((session) => this.read(session, taskId));
  }

  async summary(taskId: string): Promise<TaskSummary> {
    return summaryOf(await this.db.transaction((session) => this.summaryRow(session, taskId, '')));
  }

  async agentTokenMatches(taskId: string, token: string | undefined): Promise<boolean> {
    const rows = await this.db.transaction((session) => session.rows<{ agent_token_sha256: string }>('SELECT agent_token_sha256 FROM tasks WHERE task_id = ?', [taskId]));
    return tokenMatches(token, rows[0] && Buffer.from(rows[0].agent_token_sha256, 'hex'));
  }

  async enqueue(taskId: string, actions: Action[]): Promise<TaskSummary> {
    return this.db.transaction(async (session) => {
      const row = await this.lockedSummary(session, taskId);
      if (row.state === 'lost') throw new TaskConflict(`task ${taskId} is lost: ${row.lost_reason}; create a new task`);
      await this.addActions(session, row, actions, actionsAsJson(taskId, actions));
      if (row.state === 'done') await session.run(`UPDATE tasks SET state = 'running' WHERE task_id = ?`, [taskId]);
      return summaryOf(await this.summaryRow(session, taskId, ''));
    });
  }

  async closeTask(taskId: string): Promise<TaskSummary> {
    return this.db.transaction(async (session) => {
      await this.lockedSummary(session, taskId);
      await session.run('UPDATE tasks SET close_when_empty = 1 WHERE task_id = ?', [taskId]);
      return summaryOf(await this.summaryRow(session, taskId, ''));
    });
  }

  async register(taskId: string, agent: RegisterRequest['agent']): Promise<TaskSummary> {
    return this.db.transaction(async (session) => {
      const row = await this.lockedSummary(session, taskId);
      // A lost or done task is served no more; registering again must not bring it back.
      if (row.state === 'lost' || row.state === 'done') throw new TaskConflict(`task ${taskId} is ${row.state}; it is served no more`);
      await session.run(`UPDATE tasks SET registered_agent = ?, state = 'running', last_agent_request_at = ? WHERE task_id = ?`, [
        JSON.stringify(agent),
        new Date().toISOString(),
        taskId,
      ]);
      return summaryOf(await this.summaryRow(session, taskId, ''));
    });
  }

  async next(taskId: string): Promise<NextActionResponse> {
    return this.db.transaction(async (session) => {
      // The task's row is locked: a second caller, on this replica or another, waits and then gets the next action.
      const row = await this.lockedSummary(session, taskId);
      const [queued] = await session.rows<{ action_id: string; action: string }>(
        'SELECT action_id, action FROM actions WHERE task_id = ? AND dispatch_position IS NULL ORDER BY position LIMIT 1',
        [taskId],
      );
      if (queued) {
        const position = Number(row.dispatch_count) + 1;
        await session.run('UPDATE actions SET dispatch_position = ? WHERE task_id = ? AND action_id = ?', [position, taskId, queued.action_id]);
        await session.run('UPDATE tasks SET dispatch_count = ? WHERE task_id = ?', [position, taskId]);
        return { action: JSON.parse(queued.action) as Action };
      }
      const [outstanding] = await session.rows('SELECT 1 AS found FROM actions WHERE task_id = ? AND result IS NULL LIMIT 1', [taskId]);
      if (Number(row.close_when_empty) === 1 && !outstanding) {
        await session.run(`UPDATE tasks SET state = 'done' WHERE task_id = ?`, [taskId]);
        return { done: true as const };
      }
      return { wait_ms: 200 };
    });
  }

  async record(taskId: string, result: ActionResult): Promise<'recorded' | 'repeated'> {
    const json = JSON.stringify(result);
    const bytes = byteLength(json);
    const outcome = await this.db.transaction(async (session) => {
      const task = await this.lockedSummary(session, taskId);
      const [action] = await session.rows<{ dispatch_position: unknown; result: string | null; result_refused: number }>(
        'SELECT dispatch_position, result, result_refused FROM actions WHERE task_id = ? AND action_id = ?',
        [taskId, result.action_id],
      );
      if (!action || action.dispatch_position === null) throw new TaskConflict(`action ${result.action_id} was never dispatched to task ${taskId}`);
      if (action.result !== null) {
        const earlier = JSON.parse(action.result) as ActionResult;
        if (Number(action.result_refused) === 1) {
          // The same refused result again gets the same answer; the placeholder tells why.
          if (isDeepStrictEqual({ ...placeholderFor(result, bytes, ''), error: undefined }, { ...earlier, error: undefined })) return { refused: earlier.error ?? '' };
        } else if (isDeepStrictEqual(earlier, result)) return 'repeated' as const;
        throw new TaskConflict(`action ${result.action_id} of task ${taskId} already has a different result`);
      }
      const refusal = await this.roomFor(session, task, bytes, `the result of action ${result.action_id} (${formatBytes(bytes)})`);
      if (refusal === undefined) {
        await this.storeResult(session, task, result.action_id, json, bytes, false);
        return 'recorded' as const;
      }
      const placeholder = JSON.stringify(placeholderFor(result, bytes, refusal.message));
      const placeholderBytes = byteLength(placeholder);
      // Over the caps by at most this much per action, and the number of actions is capped.
      if (placeholderBytes <= MAX_PLACEHOLDER_BYTES) await this.storeResult(session, task, result.action_id, placeholder, placeholderBytes, true);
      return { refused: refusal.message };
    });
    if (typeof outcome === 'object') throw new ResultNotStored(outcome.refused);
    return outcome;
  }

  async heartbeat(taskId: string, beat: Heartbeat): Promise<void> {
    await this.db.transaction(async (session) => {
      await this.lockedSummary(session, taskId);
      await session.run('UPDATE tasks SET heartbeats = heartbeats + 1, last_heartbeat = ? WHERE task_id = ?', [JSON.stringify({ ...beat, at: new Date().toISOString() }), taskId]);
    });
  }

  async noteAgentRequest(taskId: string): Promise<number | undefined> {
    const rows = await this.db.transaction((session) =>
      session.rows<{ agent_requests: number | string }>(
        `UPDATE tasks SET agent_requests = agent_requests + 1, last_agent_request_at = ? WHERE task_id = ? AND state IN ('queued', 'running') RETURNING agent_requests`,
        [new Date().toISOString(), taskId],
      ),
    );
    return rows[0] === undefined ? undefined : Number(rows[0].agent_requests);
  }

  async delete(taskId: string): Promise<number> {
    return this.db.transaction(async (session) => {
      const row = await this.lockedSummary(session, taskId);
      if (row.state !== 'done' && row.state !== 'lost') {
        throw new TaskConflict(`task ${taskId} is ${row.state}: only a done or lost task is deleted; close it (POST /v1/tasks/${taskId}/close) and let it finish`);
      }
      const bytes = Number(row.stored_bytes);
      // The usage row after the task's, the order every change takes: no deadlock with a replica recording a result.
      await session.rows(`SELECT bytes FROM store_usage WHERE id = 1${this.db.lockRow}`);
      await session.run('DELETE FROM actions WHERE task_id = ?', [taskId]);
      await session.run('DELETE FROM tasks WHERE task_id = ?', [taskId]);
      await session.run('UPDATE store_usage SET bytes = bytes - ? WHERE id = 1', [bytes]);
      return bytes;
    });
  }

  async liveTaskIds(): Promise<string[]> {
    const rows = await this.db.transaction((session) => session.rows<{ task_id: string }>(`SELECT task_id FROM tasks WHERE state IN ('queued', 'running')`));
    return rows.map((row) => row.task_id);
  }

  async runningTasks(): Promise<Array<{ task_id: string; agent_requests: number }>> {
    const rows = await this.db.transaction((session) =>
      session.rows<{ task_id: string; agent_requests: number | string }>(`SELECT task_id, agent_requests FROM tasks WHERE state = 'running'`),
    );
    return rows.map((row) => ({ task_id: row.task_id, agent_requests: Number(row.agent_requests) }));
  }

  async markLost(taskId: string, reason: string, agentRequests: number): Promise<boolean> {
    const changed = await this.db.transaction((session) =>
      session.run(`UPDATE tasks SET state = 'lost', lost_at = ?, lost_reason = ? WHERE task_id = ? AND state = 'running' AND agent_requests = ?`, [
        new Date().toISOString(),
        reason,
        taskId,
        agentRequests,
      ]),
    );
    return changed === 1;
  }

  async storedBytes(): Promise<number> {
    const [row] = await this.db.transaction((session) => session.rows<{ bytes: number | string }>('SELECT bytes FROM store_usage WHERE id = 1'));
    return Number(row.bytes);
  }

  private async summaryRow(session: SqlSession, taskId: string, lock: string): Promise<SummaryRow> {
    const [row] = await session.rows<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM tasks WHERE task_id = ?${lock}`, [taskId]);
    if (!row) throw new UnknownTask(`no task ${taskId}`);
    return row;
  }

  /** The task's row, locked until the transaction ends (PostgreSQL): every change of one task goes through here first. */
  private lockedSummary(session: SqlSession, taskId: string): Promise<SummaryRow> {
    return this.summaryRow(session, taskId, this.db.lockRow);
  }

  /** Why `bytes` more do not fit in the task's or the store's caps; undefined when they do. Locks the usage row after the task's (one order: no deadlock). */
  private async roomFor(session: SqlSession, task: SummaryRow, bytes: number, what: string): Promise<TaskQuotaExceeded | StoreFull | undefined> {
    const taskBytes = Number(task.stored_bytes) + bytes;
    if (taskBytes > this.caps.maxTaskBytes) {
      return new TaskQuotaExceeded(
        `${what} would take task ${task.task_id} to ${formatBytes(taskBytes)}, over its cap of ${formatBytes(this.caps.maxTaskBytes)} (${TASK_CAP_SETTINGS.maxTaskBytes})`,
      );
    }
    const [usage] = await session.rows<{ bytes: number | string }>(`SELECT bytes FROM store_usage WHERE id = 1${this.db.lockRow}`);
    const storeBytes = Number(usage.bytes) + bytes;
    if (storeBytes > this.caps.maxStoredBytes) {
      return new StoreFull(
        `the control plane's store holds ${formatBytes(Number(usage.bytes))} of its ${formatBytes(this.caps.maxStoredBytes)} (${TASK_CAP_SETTINGS.maxStoredBytes}); ${what} does not fit`,
      );
    }
    return undefined;
  }

  private async addBytes(session: SqlSession, taskId: string, bytes: number): Promise<void> {
    await session.run('UPDATE tasks SET stored_bytes = stored_bytes + ? WHERE task_id = ?', [bytes, taskId]);
    await session.run('UPDATE store_usage SET bytes = bytes + ? WHERE id = 1', [bytes]);
  }

  /** Adds a batch after checking its ids against the task's and the caps; all or nothing (the caller's transaction). */
  private async addActions(session: SqlSession, task: SummaryRow, actions: Action[], json: string[]): Promise<void> {
    const taskId = task.task_id;
    for (const action of actions) {
      const taken = await session.rows('SELECT 1 AS found FROM actions WHERE task_id = ? AND action_id = ?', [taskId, action.id]);
      if (taken.length > 0) throw new TaskConflict(`action id ${action.id} is already used in task ${taskId}`);
    }
    const count = Number(task.action_count);
    if (count + actions.length > this.caps.maxTaskActions) {
      throw new TaskQuotaExceeded(`task ${taskId} would have ${count + actions.length} actions, over its cap of ${this.caps.maxTaskActions} (${TASK_CAP_SETTINGS.maxTaskActions})`);
    }
    if (actions.length === 0) return;
    const bytes = json.reduce((sum, text) => sum + byteLength(text), 0);
    const refusal = await this.roomFor(session, task, bytes, `${actions.length} action(s) of ${formatBytes(bytes)}`);
    if (refusal) throw refusal;
    for (const [i, action] of actions.entries()) {
      await session.run('INSERT INTO actions (task_id, action_id, position, action) VALUES (?, ?, ?, ?)', [taskId, action.id, count + i + 1, json[i]]);
    }
    await session.run('UPDATE tasks SET action_count = ? WHERE task_id = ?', [count + actions.length, taskId]);
    await this.addBytes(session, taskId, bytes);
  }

  private async storeResult(session: SqlSession, task: SummaryRow, actionId: string, json: string, bytes: number, refused: boolean): Promise<void> {
    const rows = await session.rows<{ result_count: number | string }>('UPDATE tasks SET result_count = result_count + 1 WHERE task_id = ? RETURNING result_count', [task.task_id]);
    await session.run('UPDATE actions SET result = ?, result_position = ?, result_refused = ? WHERE task_id = ? AND action_id = ?', [
      json,
      Number(rows[0].result_count),
      refused ? 1 : 0,
      task.task_id,
      actionId,
    ]);
    await this.addBytes(session, task.task_id, bytes);
  }

  private async read(session: SqlSession, taskId: string): Promise<TaskRecord> {
    const [row] = await session.rows<TaskRow>(
      `SELECT ${SUMMARY_COLUMNS}, registered_agent, heartbeats, last_heartbeat, last_agent_request_at, lost_at, created_at FROM tasks WHERE task_id = ?`,
      [taskId],
    );
    if (!row) throw new UnknownTask(`no task ${taskId}`);
    // Only queued actions are shown whole: a dispatched one is named by its id, so its JSON is not read again.
    const actions = await session.rows<ActionRow>(
      'SELECT action_id, CASE WHEN dispatch_position IS NULL THEN action END AS action, dispatch_position, result, result_position FROM actions WHERE task_id = ? ORDER BY position',
      [taskId],
    );
    const by = (column: 'dispatch_position' | 'result_position') => actions.filter((a) => a[column] !== null).sort((a, b) => Number(a[column]) - Number(b[column]));
    return {
      task_id: row.task_id,
      state: row.state,
      close_when_empty: Number(row.close_when_empty) === 1,
      registered_agent: parse(row.registered_agent),
      queued: actions.filter((a) => a.dispatch_position === null).map((a) => JSON.parse(a.action!) as Action),
      dispatched: by('dispatch_position').map((a) => a.action_id),
      results: by('result_position').map((a) => JSON.parse(a.result!) as ActionResult),
      heartbeats: Number(row.heartbeats),
      last_heartbeat: parse(row.last_heartbeat),
      last_agent_request_at: row.last_agent_request_at,
      lost_at: row.lost_at,
      lost_reason: row.lost_reason,
      created_at: row.created_at,
    };
  }
}
