import { setTimeout as sleep } from 'node:timers/promises';
import { startPostgres, type PostgresServer } from '@taskforge/testing';
import { AGENT, result, startControlPlane, type Running } from './support';

jest.setTimeout(120_000);

const BEAT = { state: 'idle', current_action: null, policy_revision: null };

describe('two control plane replicas on one PostgreSQL serve the same tasks', () => {
  let postgres: PostgresServer;
  let databaseNumber = 0;
  let replicas: Running[] = [];

  beforeAll(async () => {
    postgres = await startPostgres(5472);
  });
  afterAll(async () => {
    await postgres?.remove();
  });

  /** Two replicas on a database of the test's own. */
  const start = async (options: Parameters<typeof startControlPlane>[0] = {}) => {
    databaseNumber += 1;
    const { Client } = require('pg') as typeof import('pg');
    const admin = new Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE replicas_${databaseNumber}`);
    await admin.end();
    const databaseUrl = postgres.url.replace(/\/taskforge$/, `/replicas_${databaseNumber}`);
    replicas = [await startControlPlane({ ...options, databaseUrl }), await startControlPlane({ ...options, databaseUrl })];
    return replicas;
  };
  afterEach(async () => {
    for (const replica of replicas.splice(0)) await replica.app.close();
  });

  it('either replica answers for a task the other created, and no action is dispatched twice', async () => {
    const [a, b] = await start();
    const ids = Array.from({ length: 20 }, (_, i) => `a${i}`);
    const { taskId, agentToken } = await a.createTask({ actions: ids.map((id) => ({ id, type: 'list_files' })), close_when_empty: false });
    expect((await b.call('POST', `/v1/tasks/${taskId}/register`, { agent: AGENT }, agentToken)).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => [a, b][i % 2].call('GET', `/v1/tasks/${taskId}/actions/next`, undefined, agentToken)));
    const dispatched = answers.flatMap((answer) => (answer.body.action ? [answer.body.action.id as string] : []));
    expect([...dispatched].sort()).toEqual([...ids].sort());
    for (const [i, id] of dispatched.entries()) expect((await [b, a][i % 2].call('POST', `/v1/tasks/${taskId}/actions/${id}/result`, result(id), agentToken)).status).toBe(200);
    expect((await a.call('POST', `/v1/tasks/${taskId}/actions/a0/result`, result('a0'), agentToken)).body).toEqual({ recorded: true, repeated: true });
    const [fromA, fromB] = [(await a.call('GET', `/v1/tasks/${taskId}`)).body, (await b.call('GET', `/v1/tasks/${taskId}`)).body];
    expect(fromA).toEqual(fromB);
    expect(fromA.results).toHaveLength(20);
    expect((await b.call('POST', '/v1/tasks', { task_id: taskId })).status).toBe(409);
  });

  it('an agent talking to one replica is kept alive on the other; once silent, it is lost on both', async () => {
    // A roomy limit (1 s), so a busy machine cannot make a 50 ms rhythm look like silence.
    const [a, b] = await start({ heartbeatIntervalS: 0.2, lostAfterMissedHeartbeats: 5 });
    const { taskId, agentToken } = await a.createTask({ close_when_empty: false });
    await a.call('POST', `/v1/tasks/${taskId}/register`, { agent: AGENT }, agentToken);
    const started = Date.now();
    while (Date.now() - started < 2.5 * a.lostTasks.silenceLimitMs) {
      expect((await b.call('POST', `/v1/tasks/${taskId}/heartbeat`, BEAT, agentToken)).status).toBe(200);
      await sleep(50);
    }
    expect((await a.call('GET', `/v1/tasks/${taskId}`)).body.state).toBe('running');
    const deadline = Date.now() + 10_000;
    while ((await a.call('GET', `/v1/tasks/${taskId}`)).body.state !== 'lost' && Date.now() < deadline) await sleep(50);
    for (const replica of [a, b]) {
      const gone = await replica.call('POST', `/v1/tasks/${taskId}/heartbeat`, BEAT, agentToken);
      expect(gone.status).toBe(410);
      expect(gone.body.error).toMatch(/^task \S+ is lost: no request from its agent for \d+\.\d s, 5 heartbeats of 0\.2 s missed; it is served no more$/);
    }
  });
});
