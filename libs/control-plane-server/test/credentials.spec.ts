import { createHash } from 'node:crypto';
import { buildControlPlane, openTaskStore } from '../src';
import { AGENT, OPERATOR_TOKEN, result, startControlPlane, type Running } from './support';

/** Every route but /healthz, with a body it would accept from the right caller. */
const OPERATOR_ROUTES: Array<[string, (taskId: string) => string, unknown]> = [
  ['POST', () => '/v1/tasks', { actions: [] }],
  ['POST', (t) => `/v1/tasks/${t}/actions`, [{ id: 'more', type: 'list_files' }]],
  ['POST', (t) => `/v1/tasks/${t}/close`, undefined],
  ['GET', (t) => `/v1/tasks/${t}`, undefined],
];
const AGENT_ROUTES: Array<[string, (taskId: string) => string, unknown]> = [
  ['POST', (t) => `/v1/tasks/${t}/register`, { agent: AGENT }],
  ['GET', (t) => `/v1/tasks/${t}/policy`, undefined],
  ['GET', (t) => `/v1/tasks/${t}/actions/next`, undefined],
  ['POST', (t) => `/v1/tasks/${t}/actions/a1/result`, result('a1')],
  ['POST', (t) => `/v1/tasks/${t}/heartbeat`, { state: 'idle', current_action: null, policy_revision: null }],
];

describe('credentials', () => {
  let cp: Running;
  let own: { taskId: string; agentToken: string };
  let other: { taskId: string; agentToken: string };

  beforeEach(async () => {
    cp = await startControlPlane();
    own = await cp.createTask({ task_id: 'own', actions: [{ id: 'a1', type: 'list_files' }], close_when_empty: false });
    other = await cp.createTask({ task_id: 'other', actions: [{ id: 'a1', type: 'list_files' }] });
  });
  afterEach(() => cp.app.close());

  /** Sends a request with a raw Authorization header (or none). */
  const raw = async (method: string, path: string, body: unknown, authorization: string | undefined) => {
    const response = await fetch(`${cp.base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(authorization === undefined ? {} : { authorization }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any>, challenge: response.headers.get('www-authenticate') };
  };

  describe('operator routes take only the operator token', () => {
    const wrong: Array<[string, (c: { own: string; other: string }) => string | undefined]> = [
      ['no Authorization header', () => undefined],
      ['an empty bearer', () => 'Bearer '],
      ['a wrong token', () => 'Bearer op-test-token-0123456789abcdeX'],
      ['the operator token with a suffix', () => `Bearer ${OPERATOR_TOKEN}x`],
      ['a prefix of the operator token', () => `Bearer ${OPERATOR_TOKEN.slice(0, -1)}`],
      ['the operator token under another scheme', () => `Basic ${OPERATOR_TOKEN}`],
      ['the operator token without a scheme', () => OPERATOR_TOKEN],
      ["the task's own agent token", (c) => `Bearer ${c.own}`],
      ["another task's agent token", (c) => `Bearer ${c.other}`],
    ];
    const cases = OPERATOR_ROUTES.flatMap(([method, path, body]) =>
      wrong.flatMap(([credential, header]) => ['own', 'no-such-task', 'constructor', '__proto__'].map((taskId) => ({ method, path: path(taskId), body, credential, header, taskId }))),
    );
    it.each(cases)('$method $path with $credential: 401', async ({ method, path, body, header }) => {
      const response = await raw(method, path, body, header({ own: own.agentToken, other: other.agentToken }));
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'missing or wrong operator token' });
      expect(response.challenge).toBe('Bearer');
    });

    it('with the operator token they work (the scheme is case-insensitive), and an unknown task is 404', async () => {
      expect((await raw('GET', '/v1/tasks/own', undefined, `bearer ${OPERATOR_TOKEN}`)).status).toBe(200);
      expect((await cp.call('POST', '/v1/tasks/own/actions', [{ id: 'more', type: 'list_files' }])).body).toEqual({ queued: 2 });
      expect((await cp.call('POST', '/v1/tasks/own/close')).body).toEqual({ task_id: 'own' });
      expect(await cp.call('GET', '/v1/tasks/no-such-task')).toMatchObject({ status: 404, body: { error: 'no task no-such-task' } });
    });
  });

  describe('agent routes take only the agent token of their own task', () => {
    const wrong: Array<[string, (c: { own: string; other: string }) => string | undefined]> = [
      ['no Authorization header', () => undefined],
      ['an empty bearer', () => 'Bearer '],
      ['the operator token', () => `Bearer ${OPERATOR_TOKEN}`],
      ["another task's agent token", (c) => `Bearer ${c.other}`],
      ['the agent token with a suffix', (c) => `Bearer ${c.own}x`],
      ['a prefix of the agent token', (c) => `Bearer ${c.own.slice(0, -1)}`],
      ['the bare prefix tfa_', () => 'Bearer tfa_'],
      ['the hex SHA-256 of the agent token', (c) => `Bearer ${createHash('sha256').update(c.own).digest('hex')}`],
      ['the agent token under another scheme', (c) => `Basic ${c.own}`],
    ];
    const cases = AGENT_ROUTES.flatMap(([method, path, body]) =>
      wrong.flatMap(([credential, header]) =>
        // An unknown task is 401 too, whatever the token: task ids cannot be probed.
        ['own', 'no-such-task', 'constructor', '__proto__', 'toString'].map((taskId) => ({ method, path: path(taskId), body, credential, header, taskId })),
      ),
    );
    it.each(cases)('$method $path with $credential: 401', async ({ method, path, body, header }) => {
      const response = await raw(method, path, body, header({ own: own.agentToken, other: other.agentToken }));
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'missing or wrong agent token for this task' });
    });

    it('a refused agent request changes nothing', async () => {
      const before = (await cp.call('GET', '/v1/tasks/own')).body;
      for (const [method, path, body] of AGENT_ROUTES) await raw(method, path('own'), body, `Bearer ${other.agentToken}`);
      expect((await cp.call('GET', '/v1/tasks/own')).body).toEqual(before);
    });

    it('with its own token each agent route works', async () => {
      for (const [method, path, body] of AGENT_ROUTES.slice(0, 3)) expect((await cp.call(method, path('own'), body, own.agentToken)).status).toBe(200);
      expect((await cp.call('POST', '/v1/tasks/own/actions/a1/result', result('a1'), own.agentToken)).status).toBe(200);
      expect((await cp.call('POST', '/v1/tasks/own/heartbeat', AGENT_ROUTES[4][2], own.agentToken)).status).toBe(200);
    });
  });

  describe('agent tokens', () => {
    it('are random, >= 32 bytes base64url with the tfa_ prefix, one per task', async () => {
      const tokens = [own.agentToken, other.agentToken];
      for (let i = 0; i < 20; i += 1) tokens.push((await cp.createTask()).agentToken);
      for (const token of tokens) {
        expect(token).toMatch(/^tfa_[A-Za-z0-9_-]{43,}$/);
        expect(Buffer.from(token.slice(4), 'base64url').length).toBeGreaterThanOrEqual(32);
      }
      expect(new Set(tokens).size).toBe(tokens.length);
    });

    it('appear in the create answer only: not in the task record, neither plain nor hashed, nor in the log', async () => {
      const lines: string[] = [];
      const logged = buildControlPlane({ policyFile: cp.policyFile, operatorToken: OPERATOR_TOKEN, logger: { level: 'trace', stream: { write: (line: string) => lines.push(line) } } });
      const base = await logged.app.listen({ host: '127.0.0.1', port: 0 });
      try {
        const headers = { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' };
        const created = (await (await fetch(`${base}/v1/tasks`, { method: 'POST', headers, body: JSON.stringify({ task_id: 't', actions: [{ id: 'a1', type: 'list_files' }] }) })).json()) as { agent_token: string };
        const agentHeaders = { ...headers, authorization: `Bearer ${created.agent_token}` };
        await fetch(`${base}/v1/tasks/t/register`, { method: 'POST', headers: agentHeaders, body: JSON.stringify({ agent: AGENT }) });
        await fetch(`${base}/v1/tasks/t/actions/next`, { headers: agentHeaders });
        await fetch(`${base}/v1/tasks/t/policy`, { headers: { authorization: 'Bearer wrong' } });
        const record = await (await fetch(`${base}/v1/tasks/t`, { headers })).text();
        const hash = createHash('sha256').update(created.agent_token).digest();
        const forms = [created.agent_token, created.agent_token.slice(4), hash.toString('hex'), hash.toString('base64'), hash.toString('base64url'), OPERATOR_TOKEN];
        for (const form of forms) {
          expect(record).not.toContain(form);
          expect(lines.join('')).not.toContain(form);
        }
        expect(lines.length).toBeGreaterThan(5);
      } finally {
        await logged.app.close();
      }
    });

    it('TaskStore hands the token out once, with the record, and checks it by hash', async () => {
      const store = openTaskStore({});
      await store.open();
      try {
        const { task, agentToken } = await store.create([], { taskId: 'direct' });
        expect(task.task_id).toBe('direct');
        expect(JSON.stringify(await store.get('direct'))).not.toContain(agentToken);
        expect(await store.agentTokenMatches('direct', agentToken)).toBe(true);
        expect(await store.agentTokenMatches('direct', undefined)).toBe(false);
        expect(await store.agentTokenMatches('missing', agentToken)).toBe(false);
      } finally {
        await store.close();
      }
    });
  });

  describe('creating a task id that exists', () => {
    it.each(['own', 'other'])('is 409 for %s and leaves the first task and its token alone', async (taskId) => {
      const before = (await cp.call('GET', `/v1/tasks/${taskId}`)).body;
      const again = await cp.call('POST', '/v1/tasks', { task_id: taskId, actions: [{ id: 'evil', type: 'run_command', argv: ['id'] }] });
      expect(again).toMatchObject({ status: 409, body: { error: `task ${taskId} already exists; pick another id` } });
      expect(again.body.agent_token).toBeUndefined();
      expect((await cp.call('GET', `/v1/tasks/${taskId}`)).body).toEqual(before);
      const token = taskId === 'own' ? own.agentToken : other.agentToken;
      expect((await cp.call('GET', `/v1/tasks/${taskId}/policy`, undefined, token)).status).toBe(200);
    });
  });

  describe('options', () => {
    it.each([[''], ['short'], ['fifteen-chars!!'], ['has a space in it, long enough']])('refuses operatorToken %p', (operatorToken) => {
      expect(() => buildControlPlane({ policyFile: cp.policyFile, operatorToken })).toThrow(/operatorToken must be at least 16 characters/);
    });
    it('has no global token option any more', () => {
      // @ts-expect-error the single shared token is gone; agents have their own
      expect(() => buildControlPlane({ policyFile: cp.policyFile, token: OPERATOR_TOKEN })).toThrow(/operatorToken/);
    });
  });
});
