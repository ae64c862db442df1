import { randomUUID } from 'node:crypto';
import type { Action, ActionResult, Heartbeat, NextActionResponse, RegisterRequest } from '@taskforge/agent-contract';

export interface TaskRecord {
  task_id: string;
  state: 'queued' | 'running' | 'done';
  /** When true the task is done once every queued action has a result. */
  close_when_empty: boolean;
  registered_agent: RegisterRequest['agent'] | null;
  queued: Action[];
  dispatched: string[];
  results: ActionResult[];
  heartbeats: number;
  last_heartbeat: (Heartbeat & { at: string }) | null;
  created_at: string;
}

export class UnknownTask extends Error {}
export class UnknownAction extends Error {}

/** Tasks, their action queues and results, in memory. */
export class TaskStore {
  private readonly tasks = new Map<string, TaskRecord>();

  create(actions: Action[], options: { taskId?: string; closeWhenEmpty?: boolean } = {}): TaskRecord {
    const taskId = options.taskId ?? `task-${randomUUID().slice(0, 8)}`;
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
      created_at: new Date().toISOString(),
    };
    this.tasks.set(taskId, task);
    return task;
  }

  get(taskId: string): TaskRecord {
    const task = this.tasks.get(taskId);
    if (!task) throw new UnknownTask(`no task ${taskId}`);
    return task;
  }

  enqueue(taskId: string, actions: Action[]): TaskRecord {
    const task = this.get(taskId);
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
    return task;
  }

  next(taskId: string): NextActionResponse {
    const task = this.get(taskId);
    const action = task.queued.shift();
    if (action) {
      task.dispatched.push(action.id);
      return { action };
    }
    const outstanding = task.dispatched.filter((id) => !task.results.some((r) => r.action_id === id));
    if (task.close_when_empty && outstanding.length === 0) {
      task.state = 'done';
      return { done: true };
    }
    return { wait_ms: 200 };
  }

  record(taskId: string, result: ActionResult): void {
    const task = this.get(taskId);
    if (!task.dispatched.includes(result.action_id)) throw new UnknownAction(`action ${result.action_id} was never dispatched to task ${taskId}`);
    // A retried delivery replaces the earlier copy: each action has one result.
    task.results = [...task.results.filter((r) => r.action_id !== result.action_id), result];
  }

  heartbeat(taskId: string, beat: Heartbeat): void {
    const task = this.get(taskId);
    task.heartbeats += 1;
    task.last_heartbeat = { ...beat, at: new Date().toISOString() };
  }
}
