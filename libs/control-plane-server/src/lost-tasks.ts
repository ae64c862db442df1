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
 */
export class LostTaskSweeper {
  readonly silenceLimitMs: number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly tasks: TaskStore,
    private readonly options: LostTaskOptions,
  ) {
    this.silenceLimitMs = options.heartbeatIntervalS * options.lostAfterMissedHeartbeats * 1000;
  }

  /** Marks one task lost if it is running and silent for too long; true when it is (now) lost. */
  check(taskId: string): boolean {
    const task = this.tasks.get(taskId);
    if (task.state !== 'running') return task.state === 'lost';
    const silentMs = this.tasks.agentSilenceMs(taskId);
    if (silentMs < this.silenceLimitMs) return false;
    const { heartbeatIntervalS, lostAfterMissedHeartbeats } = this.options;
    this.tasks.markLost(
      taskId,
      `no request from its agent for ${(silentMs / 1000).toFixed(1)} s, ${lostAfterMissedHeartbeats} heartbeats of ${heartbeatIntervalS} s missed`,
    );
    return true;
  }

  /** Checks every running task; returns the ids declared lost. */
  sweep(): string[] {
    return this.tasks.runningTaskIds().filter((taskId) => this.check(taskId));
  }

  /** Sweeps every heartbeat interval (at most every second), on a timer that does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    const periodMs = Math.max(10, Math.min(this.options.heartbeatIntervalS * 1000, 1000));
    this.timer = setInterval(() => this.sweep(), periodMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }
}
