import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildControlPlane } from '../src';

const RULES = [{ id: 'files', effect: 'allow', actions: ['read_file', 'write_file', 'list_files'] }];

describe('control plane over real HTTP', () => {
  let app: FastifyInstance;
  let base: string;
  let policyFile: string;
  const token = 'cp-token';
  const agent = { hostname: 'h', pid: 1, runtime_version: '1.0.0', python: '3.11.2' };

  const call = async (method: string, path: string, body?: unknown, auth = true) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const decision = (actionId: string) => ({
    decision_id: 'd-1',
    action_id: actionId,
    action_type: 'write_file',
    allowed: true,
    matched_rule: 'files',
    policy_revision: 'r',
    reason: 'allowed by rule',
  });

  beforeEach(async () => {
    policyFile = join(mkdtempSync(join(tmpdir(), 'cp-')), 'policies.json');
    writeFileSync(policyFile, JSON.stringify({ tasks: { '*': { rules: RULES } } }));
    app = buildControlPlane({ policyFile, token }).app;
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterEach(() => app.close());

  it('queues a task, hands out its actions, records results, then says done', async () => {
    const created = await call('POST', '/v1/tasks', {
      task_id: 'task-1',
      actions: [
        { id: 'a1', type: 'write_file', path: 'x.txt', content: 'x' },
        { id: 'a2', type: 'list_files' },
      ],
    });
    expect(created).toEqual({ status: 201, body: { task_id: 'task-1' } });
    expect((await call('POST', '/v1/tasks/task-1/register', { agent })).status).toBe(200);
    const first = await call('GET', '/v1/tasks/task-1/actions/next');
    expect(first.body.action).toMatchObject({ id: 'a1', type: 'write_file', append: false });
    expect(await call('GET', '/v1/tasks/task-1/actions/next')).toMatchObject({ body: { action: { id: 'a2', path: '.' } } });
    expect(await call('GET', '/v1/tasks/task-1/actions/next')).toEqual({ status: 200, body: { wait_ms: 200 } });
    for (const id of ['a1', 'a2']) {
      expect((await call('POST', `/v1/tasks/task-1/actions/${id}/result`, { action_id: id, status: 'succeeded', decision: decision(id), duration_ms: 3 })).status).toBe(200);
    }
    expect(await call('GET', '/v1/tasks/task-1/actions/next')).toEqual({ status: 200, body: { done: true } });
    const state = await call('GET', '/v1/tasks/task-1');
    expect(state.body).toMatchObject({ state: 'done', registered_agent: agent });
    expect(state.body.results.map((r: { action_id: string }) => r.action_id)).toEqual(['a1', 'a2']);
  });

  it('serves the policy with a revision that changes when the file does, and 503 while the file is broken', async () => {
    await call('POST', '/v1/tasks', { task_id: 'task-2' });
    const first = await call('GET', '/v1/tasks/task-2/policy');
    expect(first.body).toMatchObject({ task_id: 'task-2', rules: RULES });
    writeFileSync(policyFile, JSON.stringify({ tasks: { 'task-2': { rules: [] }, '*': { rules: RULES } } }));
    const second = await call('GET', '/v1/tasks/task-2/policy');
    expect(second.body.rules).toEqual([]);
    expect(second.body.revision).not.toBe(first.body.revision);
    writeFileSync(policyFile, '{ not json');
    const broken = await call('GET', '/v1/tasks/task-2/policy');
    expect(broken.status).toBe(503);
    expect(broken.body.error).toContain('is invalid');
  });

  it('refuses agents without the bearer token, unknown tasks, malformed and unexpected results', async () => {
    await call('POST', '/v1/tasks', { task_id: 'task-3', actions: [{ id: 'a1', type: 'list_files' }] });
    expect((await call('GET', '/v1/tasks/task-3/policy', undefined, false)).status).toBe(401);
    expect((await call('GET', '/v1/tasks/nope/actions/next')).status).toBe(404);
    const malformed = await call('POST', '/v1/tasks/task-3/actions/a1/result', { action_id: 'a1', status: 'great' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.issues.join(' ')).toContain('status');
    const early = await call('POST', '/v1/tasks/task-3/actions/a1/result', { action_id: 'a1', status: 'succeeded', decision: decision('a1'), duration_ms: 1 });
    expect(early.status).toBe(409);
  });
});
