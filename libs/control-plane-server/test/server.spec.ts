import { AGENT, FILE_RULES, policyText, result, startControlPlane, type Running } from './support';

describe('control plane over real HTTP', () => {
  let cp: Running;

  beforeEach(async () => {
    cp = await startControlPlane();
  });
  afterEach(() => cp.app.close());

  it('queues a task, hands out its actions, records results, then says done', async () => {
    const created = await cp.call('POST', '/v1/tasks', {
      task_id: 'task-1',
      actions: [
        { id: 'a1', type: 'write_file', path: 'x.txt', content: 'x' },
        { id: 'a2', type: 'list_files' },
      ],
    });
    expect(created).toMatchObject({ status: 201, body: { task_id: 'task-1', agent_token: expect.stringMatching(/^tfa_/) } });
    const agent = created.body.agent_token as string;
    expect(await cp.call('POST', '/v1/tasks/task-1/register', { agent: AGENT }, agent)).toMatchObject({ status: 200, body: { task_id: 'task-1', heartbeat_interval_s: 5 } });
    const first = await cp.call('GET', '/v1/tasks/task-1/actions/next', undefined, agent);
    expect(first.body.action).toMatchObject({ id: 'a1', type: 'write_file', append: false });
    expect(await cp.call('GET', '/v1/tasks/task-1/actions/next', undefined, agent)).toMatchObject({ body: { action: { id: 'a2', path: '.' } } });
    expect(await cp.call('GET', '/v1/tasks/task-1/actions/next', undefined, agent)).toMatchObject({ status: 200, body: { wait_ms: 200 } });
    for (const id of ['a1', 'a2']) {
      expect((await cp.call('POST', `/v1/tasks/task-1/actions/${id}/result`, result(id), agent)).status).toBe(200);
    }
    expect((await cp.call('POST', '/v1/tasks/task-1/heartbeat', { state: 'idle', current_action: null, policy_revision: null }, agent)).status).toBe(200);
    expect(await cp.call('GET', '/v1/tasks/task-1/actions/next', undefined, agent)).toMatchObject({ status: 200, body: { done: true } });
    const state = await cp.call('GET', '/v1/tasks/task-1');
    expect(state.body).toMatchObject({ state: 'done', registered_agent: AGENT, heartbeats: 1 });
    expect(state.body.results.map((r: { action_id: string }) => r.action_id)).toEqual(['a1', 'a2']);
  });

  it('serves the policy with its serial and a revision that changes when the file does, and 503 while the file is broken', async () => {
    const { taskId, agentToken } = await cp.createTask({ task_id: 'task-2' });
    const first = await cp.call('GET', `/v1/tasks/${taskId}/policy`, undefined, agentToken);
    expect(first.body).toMatchObject({ task_id: 'task-2', serial: 1, rules: FILE_RULES });
    cp.writePolicy(policyText({ 'task-2': { rules: [] }, '*': { rules: FILE_RULES } }, 2));
    const second = await cp.call('GET', `/v1/tasks/${taskId}/policy`, undefined, agentToken);
    expect(second.body).toMatchObject({ serial: 2, rules: [] });
    expect(second.body.revision).not.toBe(first.body.revision);
    cp.writePolicy('{ not json');
    const broken = await cp.call('GET', `/v1/tasks/${taskId}/policy`, undefined, agentToken);
    expect(broken.status).toBe(503);
    expect(broken.body.error).toContain('is invalid');
  });

  it('refuses malformed results with a one-line error and the issues', async () => {
    const { taskId, agentToken } = await cp.createTask({ actions: [{ id: 'a1', type: 'list_files' }] });
    await cp.call('GET', `/v1/tasks/${taskId}/actions/next`, undefined, agentToken);
    const malformed = await cp.call('POST', `/v1/tasks/${taskId}/actions/a1/result`, { action_id: 'a1', status: 'great' }, agentToken);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/^invalid request: [^\n]+$/);
    expect(malformed.body.issues.join(' ')).toContain('status');
    const mismatch = await cp.call('POST', `/v1/tasks/${taskId}/actions/a2/result`, result('a1'), agentToken);
    expect(mismatch).toMatchObject({ status: 400, body: { error: 'result is for a1, not a2' } });
  });

  it('keeps /healthz open', async () => {
    expect(await cp.call('GET', '/healthz', undefined, null)).toMatchObject({ status: 200, body: { ok: true } });
  });
});
