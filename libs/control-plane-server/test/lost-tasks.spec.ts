import { setTimeout as sleep } from 'node:timers/promises';
import { buildControlPlane } from '../src';
import { AGENT, OPERATOR_TOKEN, result, startControlPlane, type Running } from './support';

const BEAT = { state: 'idle', current_action: null, policy_revision: null };
/** 0.1 s × 3: a task is lost after 300 ms of silence. */
const FAST = { heartbeatIntervalS: 0.1, lostAfterMissedHeartbeats: 3 };

const AGENT_CALLS: Array<[string, string, (taskId: string) => string, unknown]> = [
  ['register', 'POST', (t) => `/v1/tasks/${t}/register`, { agent: AGENT }],
  ['policy', 'GET', (t) => `/v1/tasks/${t}/policy`, undefined],
  ['next action', 'GET', (t) => `/v1/tasks/${t}/actions/next`, undefined],
  ['result', 'POST', (t) => `/v1/tasks/${t}/actions/a1/result`, result('a1')],
  ['heartbeat', 'POST', (t) => `/v1/tasks/${t}/heartbeat`, BEAT],
];

describe('lost runtimes', () => {
  let cp: Running;

  beforeEach(async () => {
    cp = await startControlPlane(FAST);
  });
  afterEach(() => cp.app.close());

  const registered = async (body: Record<string, unknown> = {}) => {
    const task = await cp.createTask({ close_when_empty: false, ...body });
    expect(await cp.call('POST', `/v1/tasks/${task.taskId}/register`, { agent: AGENT }, task.agentToken)).toMatchObject({ status: 200, body: { heartbeat_interval_s: 0.1 } });
    return task;
  };
  const state = async (taskId: string) => (await cp.call('GET', `/v1/tasks/${taskId}`)).body;

  it.each([
    ['silent right after registering', async () => undefined],
    ['silent after a few heartbeats', async (t: { taskId: string; agentToken: string }) => {
      for (let i = 0; i < 3; i += 1) await cp.call('POST', `/v1/tasks/${t.taskId}/heartbeat`, BEAT, t.agentToken);
    }],
    ['silent after an action was dispatched (a runtime that died mid-action)', async (t: { taskId: string; agentToken: string }) => {
      await cp.call('POST', `/v1/tasks/${t.taskId}/actions`, [{ id: 'a1', type: 'list_files' }]);
      await cp.call('GET', `/v1/tasks/${t.taskId}/actions/next`, undefined, t.agentToken);
    }],
    ['only strangers calling (requests with wrong tokens keep nothing alive)', async (t: { taskId: string; agentToken: string }) => {
      for (let i = 0; i < 8; i += 1) {
        await cp.call('POST', `/v1/tasks/${t.taskId}/heartbeat`, BEAT, OPERATOR_TOKEN);
        await sleep(50);
      }
    }],
  ])('a running task whose agent is %s becomes lost, by the sweeper alone', async (_name, before) => {
    const task = await registered();
    await before(task);
    const lost = await waitForState(task.taskId, 'lost');
    expect(lost.lost_at).toEqual(expect.any(String));
    expect(Date.parse(lost.lost_at)).toBeGreaterThan(Date.parse(lost.created_at));
    expect(lost.lost_reason).toMatch(/^no request from its agent for \d+\.\d s, 3 heartbeats of 0\.1 s missed$/);
  });

  it('a task whose agent keeps calling, on any agent route, stays running well past the silence limit', async () => {
    // A roomier limit (1 s) than the other tests, so a busy machine cannot make a 50 ms rhythm look like silence.
    const roomy = await startControlPlane({ heartbeatIntervalS: 0.2, lostAfterMissedHeartbeats: 5 });
    try {
      const beating = await roomy.createTask({ close_when_empty: false });
      const polling = await roomy.createTask({ close_when_empty: false });
      for (const t of [beating, polling]) await roomy.call('POST', `/v1/tasks/${t.taskId}/register`, { agent: AGENT }, t.agentToken);
      const started = Date.now();
      while (Date.now() - started < 2 * roomy.lostTasks.silenceLimitMs) {
        await roomy.call('POST', `/v1/tasks/${beating.taskId}/heartbeat`, BEAT, beating.agentToken);
        await roomy.call('GET', `/v1/tasks/${polling.taskId}/actions/next`, undefined, polling.agentToken);
        await sleep(50);
      }
      for (const t of [beating, polling]) expect((await roomy.call('GET', `/v1/tasks/${t.taskId}`)).body.state).toBe('running');
    } finally {
      await roomy.app.close();
    }
  });

  describe('the wall clock jumping (NTP, a resumed VM) neither loses a task nor keeps one alive: silence is counted on a monotonic clock', () => {
    // Only Date is faked: timers, performance.now() and the sockets run as usual.
    const REAL_TIMERS = ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'performance', 'hrtime'] as const;
    beforeEach(() => jest.useFakeTimers({ doNotFake: [...REAL_TIMERS], now: Date.now() }));
    afterEach(() => jest.useRealTimers());

    it.each([
      ['a day forward', 24 * 3600 * 1000],
      ['a day back', -24 * 3600 * 1000],
    ])('%s: a polling agent stays running, a silent one becomes lost all the same', async (_name, jumpMs) => {
      // A roomier limit (1 s), so a busy machine cannot make a 50 ms rhythm look like silence.
      const roomy = await startControlPlane({ heartbeatIntervalS: 0.2, lostAfterMissedHeartbeats: 5 });
      try {
        const [polling, silent] = [await roomy.createTask({ close_when_empty: false }), await roomy.createTask({ close_when_empty: false })];
        for (const t of [polling, silent]) await roomy.call('POST', `/v1/tasks/${t.taskId}/register`, { agent: AGENT }, t.agentToken);
        jest.setSystemTime(Date.now() + jumpMs);
        const started = performance.now();
        while (performance.now() - started < 2.5 * roomy.lostTasks.silenceLimitMs) {
          await roomy.call('GET', `/v1/tasks/${polling.taskId}/actions/next`, undefined, polling.agentToken);
          await sleep(50);
        }
        expect((await roomy.call('GET', `/v1/tasks/${polling.taskId}`)).body.state).toBe('running');
        expect((await roomy.call('GET', `/v1/tasks/${silent.taskId}`)).body.state).toBe('lost');
      } finally {
        await roomy.app.close();
      }
    });
  });

  it('a task no agent ever registered for stays queued (lost is for running tasks)', async () => {
    const { taskId } = await cp.createTask();
    await sleep(500);
    expect((await state(taskId)).state).toBe('queued');
  });

  describe('after the task is lost', () => {
    let task: { taskId: string; agentToken: string };
    beforeEach(async () => {
      task = await registered({ actions: [{ id: 'a1', type: 'list_files' }] });
      await cp.call('GET', `/v1/tasks/${task.taskId}/actions/next`, undefined, task.agentToken);
      await waitForState(task.taskId, 'lost');
    });

    it.each(AGENT_CALLS)('its agent is refused: %s is 410 with a one-line reason, and the task stays lost', async (_name, method, path, body) => {
      const gone = await cp.call(method, path(task.taskId), body, task.agentToken);
      expect(gone.status).toBe(410);
      expect(gone.body.error).toMatch(new RegExp(`^task ${task.taskId} is lost: no request from its agent for \\d+\\.\\d s, 3 heartbeats of 0\\.1 s missed; it is served no more$`));
      const after = await state(task.taskId);
      expect(after).toMatchObject({ state: 'lost', results: [] });
    });

    it('a wrong token is still 401, not 410 (a lost task is not revealed either)', async () => {
      expect((await cp.call('POST', `/v1/tasks/${task.taskId}/heartbeat`, BEAT, 'tfa_wrong')).status).toBe(401);
    });

    it('the operator can read it but not give it more work (409)', async () => {
      const refused = await cp.call('POST', `/v1/tasks/${task.taskId}/actions`, [{ id: 'a2', type: 'list_files' }]);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatch(/^task \S+ is lost: no request from its agent for [^;]+; create a new task$/);
      expect((await state(task.taskId)).queued).toEqual([]);
    });
  });

  it('a silent agent coming back before the sweeper ran is told 410 all the same', async () => {
    const slow = await startControlPlane({ heartbeatIntervalS: 0.05, lostAfterMissedHeartbeats: 1 });
    try {
      slow.lostTasks.stop();
      const task = await slow.createTask();
      await slow.call('POST', `/v1/tasks/${task.taskId}/register`, { agent: AGENT }, task.agentToken);
      await sleep(120);
      expect((await slow.call('GET', `/v1/tasks/${task.taskId}`)).body.state).toBe('running');
      expect((await slow.call('POST', `/v1/tasks/${task.taskId}/heartbeat`, BEAT, task.agentToken)).status).toBe(410);
      expect((await slow.call('GET', `/v1/tasks/${task.taskId}`)).body.state).toBe('lost');
    } finally {
      await slow.app.close();
    }
  });

  it.each(AGENT_CALLS)('a done task refuses its agent too: %s is 410', async (_name, method, path, body) => {
    const task = await cp.createTask();
    await cp.call('POST', `/v1/tasks/${task.taskId}/register`, { agent: AGENT }, task.agentToken);
    expect((await cp.call('GET', `/v1/tasks/${task.taskId}/actions/next`, undefined, task.agentToken)).body).toEqual({ done: true });
    expect(await cp.call(method, path(task.taskId), body, task.agentToken)).toMatchObject({ status: 410, body: { error: `task ${task.taskId} is done; it is served no more` } });
  });

  it.each([
    [{}, 5],
    [{ heartbeatIntervalS: 0.25 }, 0.25],
    [{ heartbeatIntervalS: 7, lostAfterMissedHeartbeats: 2 }, 7],
  ])('register answers the configured heartbeat interval (%p: %p)', async (options, expected) => {
    const configured = await startControlPlane(options);
    try {
      const task = await configured.createTask();
      expect((await configured.call('POST', `/v1/tasks/${task.taskId}/register`, { agent: AGENT }, task.agentToken)).body).toEqual({ task_id: task.taskId, heartbeat_interval_s: expected });
      expect(configured.lostTasks.silenceLimitMs).toBe(expected * 1000 * ((options as { lostAfterMissedHeartbeats?: number }).lostAfterMissedHeartbeats ?? 3));
    } finally {
      await configured.app.close();
    }
  });

  it('the sweeper runs while the server does, on an unref-ed timer, and stops with app.close()', async () => {
    const sweeping = await startControlPlane();
    expect(sweeping.lostTasks.running).toBe(true);
    await sweeping.app.close();
    expect(sweeping.lostTasks.running).toBe(false);
  });

  it.each([
    [{ heartbeatIntervalS: 0 }, /heartbeatIntervalS must be a positive number/],
    [{ heartbeatIntervalS: -1 }, /heartbeatIntervalS must be a positive number/],
    [{ heartbeatIntervalS: Number.NaN }, /heartbeatIntervalS must be a positive number/],
    [{ lostAfterMissedHeartbeats: 0 }, /lostAfterMissedHeartbeats must be a positive integer/],
    [{ lostAfterMissedHeartbeats: 1.5 }, /lostAfterMissedHeartbeats must be a positive integer/],
  ])('refuses %p', (options, error) => {
    expect(() => buildControlPlane({ policyFile: cp.policyFile, operatorToken: OPERATOR_TOKEN, ...options })).toThrow(error);
  });

  async function waitForState(taskId: string, wanted: string, timeoutMs = 3000): Promise<Record<string, any>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await state(taskId);
      if (record.state === wanted) return record;
      if (Date.now() > deadline) throw new Error(`task ${taskId} is ${record.state}, not ${wanted}, after ${timeoutMs} ms`);
      await sleep(25);
    }
  }
});
