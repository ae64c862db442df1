import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { randomUUID } from 'node:crypto';
import { CONTRACT_LIMITS, type Action, type ActionResult, type Heartbeat, type NextActionResponse, type RegisterRequest } from '@taskforge/agent-contract';
import { issueAgentToken, tokenMatches } from './credentials';

export type TaskState = 'queued' | 'running' | 'done' | 'lost';

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

interface Entry {
  task: TaskRecord;
  /** SHA-256 of the task's agent token; the token itself is never kept. */
  agentTokenHash: Buffer;
  /** Monotonic clock (ms) of the agent's last authenticated request, or of the task's creation: wall-clock jumps must neither lose a task nor keep one alive. */
  lastAgentRequestMs: number;
  /** Every action id ever added to the task, so a result and a new action can be checked against them. */
  actionIds: Set<string>;
  dispatched: Set<string>;
  results: Map<string, ActionResult>;
}

/**
 * Tasks, their action queues and results, in memory. Maps and Sets only: task
 * and action ids are arbitrary strings (`constructor`, `__proto__`) and must
 * never reach an object's prototype.
 */
export class TaskStore {
  private readonly entries = new Map<string, Entry>();
  private readonly now = () => performance.now();

  /** Creates a task; the agent token comes back here once and is kept only as a hash. */
  create(actions: Action[], options: { taskId?: string; closeWhenEmpty?: boolean } = {}): { task: TaskRecord; agentToken: string } {
    const taskId = options.taskId ?? `task-${randomUUID()}`;
    if (this.entries.has(taskId)) throw new TaskConflict(`task ${taskId} already exists; pick another id`);
    const actionIds = new Set<string>();
    checkActions(taskId, actionIds, actions);
    const { token, hash } = issueAgentToken();
    const task: TaskRecord = {
      task_id: taskId,
      state: 'queued',
      close_when_empty: options.closeWhenEmpty ?? true,
      registered_agent: null,
      queued: [...actions],
      dispatched: [],
      results: [],
      heartbeats: 0,
      last_heartbeat: null,
      last_agent_request_at: null,
      lost_at: null,
      lost_reason: null,
      created_at: new Date().toISOString(),
    };
    for (const action of actions) actionIds.add(action.id);
    this.entries.set(taskId, { task, agentTokenHash: hash, lastAgentRequestMs: this.now(), actionIds, dispatched: new Set(), results: new Map() });
    return { task, agentToken: token };
  }

  has(taskId: string): boolean {
    return this.entries.has(taskId);
  }

  get(taskId: string): TaskRecord {
    return this.entry(taskId).task;
  }

  /** Whether `token` is this task's agent token; false for an unknown task, at the same cost. */
  agentTokenMatches(taskId: string, token: string | undefined): boolean {
    return tokenMatches(token, this.entries.get(taskId)?.agentTokenHash);
  }

  enqueue(taskId: string, actions: Action[]): TaskRecord {
    const entry = this.entry(taskId);
    const { task } = entry;
    if (task.state === 'lost') throw new TaskConflict(`task ${taskId} is lost: ${task.lost_reason}; create a new task`);
    checkActions(taskId, entry.actionIds, actions);
    for (const action of actions) entry.actionIds.add(action.id);
    task.queued.push(...actions);
    if (task.state === 'done') task.state = 'running';
    return task;
  }

  close(taskId: string): TaskRecord {
    const task = this.get(taskId);
    task.close_when_empty = true;
    return task;
  }

  register(taskId: string, agent: RegisterRequest['agent']): TaskRecord {
    const task = this.get(taskId);
    task.registered_agent = agent;
    task.state = 'running';
    // Registering is itself a request of the agent, also when the store is driven directly.
    this.noteAgentRequest(taskId);
    return task;
  }

  next(taskId: string): NextActionResponse {
    const entry = this.entry(taskId);
    const { task } = entry;
    const action = task.queued.shift();
    if (action) {
      task.dispatched.push(action.id);
      entry.dispatched.add(action.id);
      return { action };
    }
    const outstanding = task.dispatched.filter((id) => !entry.results.has(id));
    if (task.close_when_empty && outstanding.length === 0) {
      task.state = 'done';
      return { done: true };
    }
    return { wait_ms: 200 };
  }

  /**
   * Records the result of an action dispatched to this task. A retried
   * delivery of the same result is harmless ('repeated'); a different result
   * for an action already reported is refused, so what was recorded cannot be
   * rewritten afterwards.
   */
  record(taskId: string, result: ActionResult): 'recorded' | 'repeated' {
    const entry = this.entry(taskId);
    if (!entry.dispatched.has(result.action_id)) throw new TaskConflict(`action ${result.action_id} was never dispatched to task ${taskId}`);
    const earlier = entry.results.get(result.action_id);
    if (earlier !== undefined) {
      if (isDeepStrictEqual(earlier, result)) return 'repeated';
      throw new TaskConflict(`action ${result.action_id} of task ${taskId} already has a different result`);
    }
    entry.results.set(result.action_id, result);
    entry.task.results.push(result);
    return 'recorded';
  }

  heartbeat(taskId: string, beat: Heartbeat): void {
    const task = this.get(taskId);
    task.heartbeats += 1;
    task.last_heartbeat = { ...beat, at: new Date().toISOString() };
  }

  /** Notes an authenticated request of the task's agent: what keeps a running task from being declared lost. */
  noteAgentRequest(taskId: string): void {
    const entry = this.entry(taskId);
    entry.lastAgentRequestMs = this.now();
    entry.task.last_agent_request_at = new Date().toISOString();
  }

  /** Milliseconds since the agent's last authenticated request (or since creation, for an agent never heard from). */
  agentSilenceMs(taskId: string): number {
    return this.now() - this.entry(taskId).lastAgentRequestMs;
  }

  runningTaskIds(): string[] {
    return [...this.entries.values()].filter((entry) => entry.task.state === 'running').map((entry) => entry.task.task_id);
  }

  markLost(taskId: string, reason: string): TaskRecord {
    const task = this.get(taskId);
    task.state = 'lost';
    task.lost_at = new Date().toISOString();
    task.lost_reason = reason;
    return task;
  }

  private entry(taskId: string): Entry {
    const entry = this.entries.get(taskId);
    if (!entry) throw new UnknownTask(`no task ${taskId}`);
    return entry;
  }
}

/** Refuses, before anything is queued, an action the runtime could not receive or whose id the task already uses. */
function checkActions(taskId: string, taken: ReadonlySet<string>, actions: Action[]): void {
  const batch = new Set<string>();
  for (const action of actions) {
    if (taken.has(action.id) || batch.has(action.id)) throw new TaskConflict(`action id ${action.id} is already used in task ${taskId}`);
    batch.add(action.id);
    const bytes = Buffer.byteLength(JSON.stringify(action), 'utf8');
    if (bytes > MAX_ACTION_BYTES) throw new ActionRefused(`action ${action.id} is ${bytes} bytes of JSON; the runtime receives at most ${MAX_ACTION_BYTES}`);
  }
}
