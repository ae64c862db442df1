import { performance } from 'node:perf_hooks';
import type { TaskStore } from './task-store';

export interface LostTaskOptions {
  /** What `register` tells the runtime; it heartbeats at least this often. */
  heartbeatIntervalS: number;
  /** How many intervals without any authenticated agent request make a running task lost. */
  lostAfterMissedHeartbeats: number;
}

export const LOST_TASK_DEFAULTS: LostTaskOptions = { heartbeatIntervalS: 5, lostAfterMissedHeartbeats: 3 };

/**
 * Declares running tasks lost once their agent has been silent for
 * interval × missed heartbeats, so that no task stays `running` for ever
 * after its container died, hung or was cut off. Lost is final: the agent is
 * answered 410 from then on, and the operator learns why from the task.
 *
 * How silence is measured, with the tasks in a database shared by replicas:
 * no wall clock takes part, neither this host's nor the database's, so a
 * clock that jumps (NTP, a VM resumed, an operator) can neither lose a task
 * nor keep one alive. The database counts each task's authenticated agent
 * requests (`agent_requests`); every replica remembers, per running task, the
 * count it last saw and when it saw it change, on its own monotonic clock.
 * Silence is the time since that change. A request this replica served is
 * seen at once; one another replica served is seen at the next sweep (at
 * most a second later), so silence is never over-counted, only late by at
 * most one sweep. A replica that starts (or restarts) counts from its first
 * look: time the control plane itself was down is not held against an agent.
 * markLost applies only if the count is still the one judged, so a request
 * that arrives meanwhile, on any replica, wins. What is remembered is a
 * number and a time per running task, dropped when the task stops running.
 */
export class LostTaskSweeper {
  readonly silenceLimitMs: number;
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;
  private readonly seen = new Map<string, { agentRequests: number; sinceMs: number }>();
  private readonly now = () => performance.now();

  constructor(
    private readonly tasks: TaskStore,
    private readonly options: LostTaskOptions,
    /** Where a failed sweep is told (the database down); the next sweep tries again. */
    private readonly onSweepError: (error: Error) => void = () => undefined,
  ) {
    this.silenceLimitMs = options.heartbeatIntervalS * options.lostAfterMissedHeartbeats * 1000;
  }

  /** Marks one task lost if it is running and silent for too long; true when it is (now) lost. */
  async check(taskId: string): Promise<boolean> {
    const task = await this.tasks.summary(taskId);
    if (task.state !== 'running') {
      this.seen.delete(taskId);
      return task.state === 'lost';
    }
    return this.judge(taskId, task.agent_requests);
  }

  /** Counts an authenticated request of the task's agent: false when the task is lost or done, and so served no more. */
  async noteAgentRequest(taskId: string): Promise<boolean> {
    const agentRequests = await this.tasks.noteAgentRequest(taskId);
    if (agentRequests === undefined) return false;
    this.seen.set(taskId, { agentRequests, sinceMs: this.now() });
    return true;
  }

  /** Checks every running task; returns the ids declared lost. */
  async sweep(): Promise<string[]> {
    const running = await this.tasks.runningTasks();
    const ids = new Set(running.map((task) => task.task_id));
    for (const taskId of this.seen.keys()) if (!ids.has(taskId)) this.seen.delete(taskId);
    const lost: string[] = [];
    for (const task of running) if (await this.judge(task.task_id, task.agent_requests)) lost.push(task.task_id);
    return lost;
  }

  /** Sweeps every heartbeat interval (at most every second), on a timer that does not keep the process alive; one sweep at a time. */
  start(): void {
    if (this.timer) return;
    const periodMs = Math.max(10, Math.min(this.options.heartbeatIntervalS * 1000, 1000));
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep()
        .catch((error: Error) => this.onSweepError(error))
        .finally(() => (this.sweeping = undefined));
    }, periodMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep under way, so the store can close after it. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  private async judge(taskId: string, agentRequests: number): Promise<boolean> {
    const now = this.now();
    const seen = this.seen.get(taskId);
    if (!seen || seen.agentRequests !== agentRequests) {
      this.seen.set(taskId, { agentRequests, sinceMs: now });
      return false;
    }
    const silentMs = now - seen.sinceMs;
    if (silentMs < this.silenceLimitMs) return false;
    const { heartbeatIntervalS, lostAfterMissedHeartbeats } = this.options;
    const reason = `no request from its agent for ${(silentMs / 1000).toFixed(1)} s, ${lostAfterMissedHeartbeats} heartbeats of ${heartbeatIntervalS} s missed`;
    if (await this.tasks.markLost(taskId, reason, agentRequests)) {
      this.seen.delete(taskId);
      return true;
    }
    // A request came in meanwhile (here or on another replica), or another replica marked it first.
    return (await this.tasks.summary(taskId)).state === 'lost';
  }
}
