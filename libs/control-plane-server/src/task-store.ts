import { CONTRACT_LIMITS, type Action, type ActionResult, type Heartbeat, type NextActionResponse, type RegisterRequest } from '@taskforge/agent-contract';

export type TaskState = 'queued' | 'running' | 'done' | 'lost';

/** What `GET /v1/tasks/:id` answers: a task with its queue, what was dispatched and every result. */
export interface TaskRecord {
  task_id: string;
  /** queued until the agent registers; lost when a running task's agent went silent; done when it was told so. */
  state: TaskState;
  /** When true the task is done once every queued action has a result. */
  close_when_empty: boolean;
  registered_agent: RegisterRequest['agent'] | null;
  queued: Action[];
  dispatched: string[];
  results: ActionResult[];
  heartbeats: number;
  last_heartbeat: (Heartbeat & { at: string }) | null;
  /** The last authenticated request of the task's agent, on any agent route. */
  last_agent_request_at: string | null;
  lost_at: string | null;
  lost_reason: string | null;
  created_at: string;
}

/** A task without its actions and results: what the agent routes and the lost-task sweep look at, at the cost of one row. */
export interface TaskSummary {
  task_id: string;
  state: TaskState;
  close_when_empty: boolean;
  lost_reason: string | null;
  /** How many authenticated agent requests the task has had: a change means its agent is alive (see lost-tasks.ts). */
  agent_requests: number;
  /** Actions still waiting to be dispatched. */
  queued: number;
}

/**
 * The largest action (JSON, UTF-8 bytes) a task accepts: the runtime receives
 * it wrapped in a next-action answer (`{"action": ...}`), which must fit in
 * CONTRACT_LIMITS.maxMessageBytes; the margin covers that wrapper with room
 * to spare. A larger action would be refused by the runtime, and the task
 * would stall on it.
 */
export const MAX_ACTION_BYTES = CONTRACT_LIMITS.maxMessageBytes - 1024;

/** 404: the operator named a task that does not exist. */
export class UnknownTask extends Error {}
/** 409: the request contradicts the task's state (a result nobody asked for, an id taken, a lost task). */
export class TaskConflict extends Error {}
/** 400: an action the runtime could not receive. */
export class ActionRefused extends Error {}

/**
 * Tasks, their action queues and results, in a database (SQLite for one
 * control plane, PostgreSQL for several replicas), never accumulated in
 * memory: a restart loses nothing, and what a task may store is capped
 * (task-caps.ts). Every method is one transaction; replicas sharing a
 * database never dispatch one action twice.
 */
export interface TaskStore {
  /** Creates the tables when missing; called once before anything else. */
  open(): Promise<void>;
  /** Closes the connection(s); the records stay in the database. */
  close(): Promise<void>;
  /** Creates a task; the agent token comes back here once and is kept only as a hash. */
  create(actions: Action[], options?: { taskId?: string; closeWhenEmpty?: boolean }): Promise<{ task: TaskRecord; agentToken: string }>;
  has(taskId: string): Promise<boolean>;
  /** The whole record; UnknownTask when there is none. */
  get(taskId: string): Promise<TaskRecord>;
  summary(taskId: string): Promise<TaskSummary>;
  /** Whether `token` is this task's agent token; false for an unknown task, at the same cost. */
  agentTokenMatches(taskId: string, token: string | undefined): Promise<boolean>;
  /** Adds actions (all or none); a done task runs again. */
  enqueue(taskId: string, actions: Action[]): Promise<TaskSummary>;
  /** The task is done once every action it has is settled. */
  closeTask(taskId: string): Promise<TaskSummary>;
  register(taskId: string, agent: RegisterRequest['agent']): Promise<TaskSummary>;
  /** Dispatches the oldest queued action to exactly one caller, or says to wait, or that the task is done. */
  next(taskId: string): Promise<NextActionResponse>;
  /**
   * Records the result of an action dispatched to this task. A retried
   * delivery of the same result is harmless ('repeated'); a different result
   * for an action already reported is refused, so what was recorded cannot be
   * rewritten afterwards. A result over a cap is ResultNotStored.
   */
  record(taskId: string, result: ActionResult): Promise<'recorded' | 'repeated'>;
  heartbeat(taskId: string, beat: Heartbeat): Promise<void>;
  /** Counts an authenticated agent request; the task's new count, or undefined when it is lost or done (served no more). */
  noteAgentRequest(taskId: string): Promise<number | undefined>;
  /**
   * Deletes a done or lost task with its actions and results, and frees what it held in the caps; the bytes freed.
   * A task still queued or running is a TaskConflict: nothing it may still report is thrown away.
   */
  delete(taskId: string): Promise<number>;
  /** Tasks still served (queued or running), for the per-task sockets. */
  liveTaskIds(): Promise<string[]>;
  /** Running tasks with their request counts, for the lost-task sweep. */
  runningTasks(): Promise<Array<{ task_id: string; agent_requests: number }>>;
  /** Marks a running task lost, unless its agent made a request since the sweep counted `agentRequests`; whether it did. */
  markLost(taskId: string, reason: string, agentRequests: number): Promise<boolean>;
  /** Bytes of actions and results every task holds together. */
  storedBytes(): Promise<number>;
}

/** Refuses, before anything is stored, an action the runtime could not receive or an id used twice in one batch; the JSON of each. */
export function actionsAsJson(taskId: string, actions: Action[]): string[] {
  const batch = new Set<string>();
  return actions.map((action) => {
    if (batch.has(action.id)) throw new TaskConflict(`action id ${action.id} is already used in task ${taskId}`);
    batch.add(action.id);
    const json = JSON.stringify(action);
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_ACTION_BYTES) throw new ActionRefused(`action ${action.id} is ${bytes} bytes of JSON; the runtime receives at most ${MAX_ACTION_BYTES}`);
    return json;
  });
}

/** A placeholder larger than this is not stored either: it is made of what the runtime decided, which is small. */
export const MAX_PLACEHOLDER_BYTES = 16 * 1024;

/**
 * What stands in for a result a cap refused: its status, exit code, decision
 * and duration, the output left out and the reason said. It settles the
 * action, so a close_when_empty task still finishes.
 */
export function placeholderFor(result: ActionResult, bytes: number, reason: string): ActionResult {
  const said = result.error === undefined ? '' : `; the runtime said: ${result.error.slice(0, 1000)}`;
  const placeholder: ActionResult = {
    action_id: result.action_id,
    status: result.status,
    decision: result.decision,
    ...(result.exit_code === undefined ? {} : { exit_code: result.exit_code }),
    truncated: true,
    error: `the control plane did not store this result (${bytes} bytes): ${reason}${said}`,
    duration_ms: result.duration_ms,
  };
  return placeholder;
}
