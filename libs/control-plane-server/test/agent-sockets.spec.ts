import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { AGENT_SOCKET_DEFAULT_RETIRE_AFTER_MS, AGENT_SOCKET_FILE, AgentSockets } from '../src';
import { AGENT, OPERATOR_TOKEN, startControlPlane, type Running } from './support';

// One unix socket per task, the directory of which the orchestrator mounts into that task's container alone: whatever
// the task's commands do with it (they can reach it too), it speaks for that task only and cannot exhaust the
// control plane's connections.

function over(socketPath: string, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const call = request({ socketPath, method, path, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(data ? { 'content-type': 'application/json' } : {}) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    call.on('error', reject);
    call.end(data);
  });
}

const waitFor = async (what: string, check: () => boolean, timeoutMs = 10000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

jest.setTimeout(30000);

describe('per-task agent sockets', () => {
  let cp: Running;
  let dir: string;
  let dataDir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agent-sockets-'));
    dataDir = mkdtempSync(join(tmpdir(), 'agent-sockets-data-'));
    cp = await startControlPlane({ agentSocketDir: dir, dataDir, agentSocketRetireAfterS: 0 });
  });
  afterEach(() => cp.app.close());

  const create = async (taskId: string) => {
    const created = await cp.call('POST', '/v1/tasks', { task_id: taskId, actions: [{ id: 'a1', type: 'list_files' }], close_when_empty: false });
    expect(created.status).toBe(201);
    return { token: created.body.agent_token as string, socket: join(created.body.agent_socket_dir as string, AGENT_SOCKET_FILE), answerDir: created.body.agent_socket_dir as string };
  };

  it('creating a task makes its socket, which serves that task and nothing else', async () => {
    const a = await create('task-a');
    const b = await create('task-b');
    expect(a.answerDir).toBe(join(dir, 'task-a'));
    expect((await over(a.socket, 'POST', '/v1/tasks/task-a/register', a.token, { agent: AGENT })).status).toBe(200);
    expect((await over(a.socket, 'GET', '/v1/tasks/task-a/actions/next', a.token)).body).toMatchObject({ action: { id: 'a1' } });
    // Task b's credential, on task a's socket (a command of task a that got hold of it): refused before it is checked.
    expect(await over(a.socket, 'GET', '/v1/tasks/task-b/policy', b.token)).toEqual({ status: 403, body: { error: 'this socket serves task task-a only' } });
    // The operator's routes are never served inside a task's container, whatever the credential.
    expect((await over(a.socket, 'GET', '/v1/tasks/task-a', OPERATOR_TOKEN)).status).toBe(403);
    expect((await over(a.socket, 'POST', '/v1/tasks', OPERATOR_TOKEN, { actions: [] })).status).toBe(403);
    expect((await over(a.socket, 'GET', '/healthz')).status).toBe(200);
  });

  it('a flood of connections on one task socket is capped there, while another task is served', async () => {
    const a = await create('task-a');
    const b = await create('task-b');
    const flood: Socket[] = [];
    let dropped = 0;
    for (let i = 0; i < 64; i += 1) {
      const socket = connect(a.socket);
      socket.on('error', () => undefined);
      socket.on('close', () => (dropped += 1));
      flood.push(socket);
    }
    await waitFor('the control plane to drop what is over the cap', () => dropped >= 64 - 8);
    expect(dropped).toBe(64 - 8);
    expect((await over(b.socket, 'POST', '/v1/tasks/task-b/register', b.token, { agent: AGENT })).status).toBe(200);
    for (const socket of flood) socket.destroy();
    await waitFor('the flood to end', () => dropped === 64);
    expect((await over(a.socket, 'POST', '/v1/tasks/task-a/register', a.token, { agent: AGENT })).status).toBe(200);
  });

  it('a task that ends loses its socket and directory (here at once; 60 s later by default, so a runtime coming back hears 410); a restart gives every task still served its socket back', async () => {
    const a = await create('task-a');
    const b = await create('task-b');
    expect((await cp.call('POST', '/v1/tasks/task-a/close')).status).toBe(200);
    expect((await over(a.socket, 'POST', '/v1/tasks/task-a/register', a.token, { agent: AGENT })).status).toBe(200);
    expect((await over(a.socket, 'GET', '/v1/tasks/task-a/actions/next', a.token)).body).toMatchObject({ action: { id: 'a1' } });
    await over(a.socket, 'POST', '/v1/tasks/task-a/actions/a1/result', a.token, { action_id: 'a1', status: 'succeeded', decision: { decision_id: 'd', action_id: 'a1', action_type: 'list_files', allowed: true, matched_rule: 'files', policy_revision: 'r', reason: 'allowed by rule' }, duration_ms: 1 });
    expect((await over(a.socket, 'GET', '/v1/tasks/task-a/actions/next', a.token)).body).toEqual({ done: true });
    await waitFor('task-a to lose its socket', () => !existsSync(join(dir, 'task-a')));

    // A restart: task-b's directory stays (its container has it mounted) and gets a new socket.
    await cp.app.close();
    expect(existsSync(join(dir, 'task-b'))).toBe(true);
    cp = await startControlPlane({ agentSocketDir: dir, dataDir });
    expect((await over(b.socket, 'POST', '/v1/tasks/task-b/register', b.token, { agent: AGENT })).status).toBe(200);
    expect(existsSync(join(dir, 'task-a'))).toBe(false);
  });

  it('listens where a socket path is longer than bind(2) takes', async () => {
    await cp.app.close();
    const deep = join(dir, 'x'.repeat(60), 'y'.repeat(60));
    mkdirSync(deep, { recursive: true });
    cp = await startControlPlane({ agentSocketDir: deep, dataDir });
    const a = await create('task-with-a-long-enough-name-0123456789');
    expect(Buffer.byteLength(a.socket)).toBeGreaterThan(107);
    // A client needs the short way in as well: the test connects from the socket's directory, by its name.
    const cwd = process.cwd();
    process.chdir(join(a.socket, '..'));
    try {
      expect((await over(AGENT_SOCKET_FILE, 'POST', '/v1/tasks/task-with-a-long-enough-name-0123456789/register', a.token, { agent: AGENT })).status).toBe(200);
    } finally {
      process.chdir(cwd);
    }
  });

  it('by default a socket outlives its task by a minute, counted from when the task was first seen over', async () => {
    const http = createServer();
    const sockets = new AgentSockets(dir, () => http);
    await sockets.sync(['task-z'], 0);
    const path = join(dir, 'task-z', AGENT_SOCKET_FILE);
    for (const now of [1000, 1000 + AGENT_SOCKET_DEFAULT_RETIRE_AFTER_MS - 1]) {
      await sockets.sync([], now);
      expect(existsSync(path)).toBe(true);
    }
    await sockets.sync([], 1000 + AGENT_SOCKET_DEFAULT_RETIRE_AFTER_MS);
    expect(existsSync(join(dir, 'task-z'))).toBe(false);
    await sockets.closeAll();
  });
});
