import { buildControlPlane, openTaskStore } from '../src';
import { AGENT, OPERATOR_TOKEN, result, startControlPlane, type Running } from './support';

const list = (id: string) => ({ id, type: 'list_files', path: '.' });

describe('caps over HTTP: one task filling its quota does not stop the others', () => {
  let cp: Running;

  beforeEach(async () => {
    cp = await startControlPlane({ maxTaskActions: 4, maxTaskBytes: 200_000, maxStoredBytes: 600_000 });
  });
  afterEach(() => cp.app.close());

  /** A registered task with `count` actions already dispatched to its agent. */
  const dispatched = async (taskId: string, count: number) => {
    const task = await cp.createTask({ task_id: taskId, actions: Array.from({ length: count }, (_, i) => list(`a${i}`)) });
    await cp.call('POST', `/v1/tasks/${taskId}/register`, { agent: AGENT }, task.agentToken);
    for (let i = 0; i < count; i++) expect((await cp.call('GET', `/v1/tasks/${taskId}/actions/next`, undefined, task.agentToken)).body.action.id).toBe(`a${i}`);
    return task;
  };
  const report = (taskId: string, token: string, actionId: string, stdoutBytes: number) =>
    cp.call('POST', `/v1/tasks/${taskId}/actions/${actionId}/result`, result(actionId, { stdout: 'o'.repeat(stdoutBytes) }), token);

  it('a result over the task’s bytes is 413 with a one-line error naming the cap; the task still finishes; another task is unaffected', async () => {
    const greedy = await dispatched('greedy', 3);
    const modest = await dispatched('modest', 2);
    expect((await report('greedy', greedy.agentToken, 'a0', 150_000)).status).toBe(200);
    const refused = await report('greedy', greedy.agentToken, 'a1', 150_000);
    expect(refused.status).toBe(413);
    expect(refused.body.error).toMatch(/^the result of action a1 \(\d+ bytes\) would take task greedy to \d+ bytes, over its cap of 200000 bytes \(maxTaskBytes, CONTROL_PLANE_MAX_TASK_BYTES\)$/);
    // The runtime drops a result refused with a 4xx and goes on: the next one is taken, and the task can end.
    expect((await report('greedy', greedy.agentToken, 'a2', 100)).status).toBe(200);
    expect((await cp.call('GET', '/v1/tasks/greedy/actions/next', undefined, greedy.agentToken)).body).toEqual({ done: true });
    const record = (await cp.call('GET', '/v1/tasks/greedy')).body;
    expect(record.results.map((r: { action_id: string; truncated?: boolean }) => [r.action_id, r.truncated ?? false])).toEqual([
      ['a0', false],
      ['a1', true],
      ['a2', false],
    ]);
    expect(record.results[1].error).toContain('the control plane did not store this result');
    for (const id of ['a0', 'a1']) expect((await report('modest', modest.agentToken, id, 90_000)).status).toBe(200);
    expect((await cp.call('GET', '/v1/tasks/modest')).body.results).toHaveLength(2);
  });

  it('more actions than the task’s cap is 413 naming CONTROL_PLANE_MAX_TASK_ACTIONS, on create and on enqueue, and nothing is added', async () => {
    const tooMany = await cp.call('POST', '/v1/tasks', { task_id: 'crowded', actions: ['a', 'b', 'c', 'd', 'e'].map(list) });
    expect(tooMany).toMatchObject({ status: 413, body: { error: 'task crowded would have 5 actions, over its cap of 4 (maxTaskActions, CONTROL_PLANE_MAX_TASK_ACTIONS)' } });
    expect((await cp.call('GET', '/v1/tasks/crowded')).status).toBe(404);
    await cp.createTask({ task_id: 'crowded', actions: ['a', 'b', 'c'].map(list) });
    expect((await cp.call('POST', '/v1/tasks/crowded/actions', ['d', 'e'].map(list))).status).toBe(413);
    expect((await cp.call('POST', '/v1/tasks/crowded/actions', ['d'].map(list))).body).toEqual({ queued: 4 });
  });

  it('a full store is 507 for the operator and 413 for a result, naming CONTROL_PLANE_MAX_STORED_BYTES; what fits is still taken', async () => {
    const tasks = await Promise.all(['t1', 't2', 't3', 't4'].map((id) => dispatched(id, 2)));
    for (const [i, task] of tasks.slice(0, 3).entries()) expect((await report(`t${i + 1}`, task.agentToken, 'a0', 190_000)).status).toBe(200);
    const resultRefused = await report('t4', tasks[3].agentToken, 'a0', 100_000);
    expect(resultRefused.status).toBe(413);
    expect(resultRefused.body.error).toMatch(/^the control plane's store holds \d+ bytes of its 600000 bytes \(maxStoredBytes, CONTROL_PLANE_MAX_STORED_BYTES\); the result of action a0 \(\d+ bytes\) does not fit$/);
    const big = { id: 'big', type: 'write_file', path: 'x', content: 'x'.repeat(100_000) };
    const enqueueRefused = await cp.call('POST', '/v1/tasks/t4/actions', [big]);
    expect(enqueueRefused.status).toBe(507);
    expect(enqueueRefused.body.error).toMatch(/\(maxStoredBytes, CONTROL_PLANE_MAX_STORED_BYTES\); 1 action\(s\) of \d+ bytes does not fit$/);
    expect((await cp.call('POST', '/v1/tasks', { actions: [big] })).status).toBe(507);
    expect((await report('t4', tasks[3].agentToken, 'a1', 10)).status).toBe(200);
    expect((await cp.call('POST', '/v1/tasks', {})).status).toBe(201);
  });

  it('a full store frees up when the operator deletes a finished task (DELETE /v1/tasks/:id); a running one is kept', async () => {
    const tasks = await Promise.all(['t1', 't2', 't3'].map((id) => dispatched(id, 1)));
    for (const [i, task] of tasks.entries()) expect((await report(`t${i + 1}`, task.agentToken, 'a0', 190_000)).status).toBe(200);
    const big = { id: 'big', type: 'write_file', path: 'x', content: 'x'.repeat(100_000) };
    expect((await cp.call('POST', '/v1/tasks', { actions: [big] })).status).toBe(507);
    expect((await cp.call('GET', '/v1/tasks/t1/actions/next', undefined, tasks[0].agentToken)).body).toEqual({ done: true });
    const running = await dispatched('t4', 1);
    expect((await cp.call('DELETE', '/v1/tasks/t4')).status).toBe(409);
    expect((await cp.call('DELETE', '/v1/tasks/t1', undefined, running.agentToken)).status).toBe(401);
    const deleted = await cp.call('DELETE', '/v1/tasks/t1');
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ task_id: 't1', deleted: true, freed_bytes: expect.any(Number) });
    expect(deleted.body.freed_bytes).toBeGreaterThan(190_000);
    expect((await cp.call('GET', '/v1/tasks/t1')).status).toBe(404);
    expect((await cp.call('POST', '/v1/tasks', { actions: [big] })).status).toBe(201);
  });
});

describe('cap and store options', () => {
  const policyFile = __filename;

  it.each([
    [{ maxTaskActions: 0 }, 'maxTaskActions must be a positive integer, not 0'],
    [{ maxTaskBytes: 1.5 }, 'maxTaskBytes must be a positive integer, not 1.5'],
    [{ maxStoredBytes: -1 }, 'maxStoredBytes must be a positive integer, not -1'],
    [{ dataDir: '/tmp/x', databaseUrl: 'postgres://x' }, 'give one of dataDir, databaseUrl and store, not dataDir and databaseUrl'],
    [{ store: openTaskStore({}), maxTaskBytes: 10 }, 'give the caps to the store you pass, not to buildControlPlane'],
  ])('refuses %p', (options, error) => {
    expect(() => buildControlPlane({ policyFile, operatorToken: OPERATOR_TOKEN, ...options })).toThrow(error);
  });
});
