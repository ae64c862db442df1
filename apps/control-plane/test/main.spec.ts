import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePolicyFile, policyFileContradiction } from '@taskforge/control-plane-server';
import { httpsJson, makeTestPki, startPostgres } from '@taskforge/testing';

const REPO_ROOT = resolve(__dirname, '../../..');
const MAIN = join(REPO_ROOT, 'apps/control-plane/src/main.ts');
const TOKEN = 'tfo_main-spec-operator-token-0123456789';
/** What a runtime says about itself when it registers. */
const AGENT = { hostname: 'h', pid: 1, runtime_version: '1.0.0', python: '3.11.2' };
const GOOD_POLICY = JSON.stringify({ serial: 1, tasks: { '*': { rules: [{ id: 'files', effect: 'allow', actions: ['list_files'] }] } } });

interface Started {
  child: ChildProcess;
  /** The address it listens on, once it does. */
  url?: string;
  exitCode?: number | null;
  stdout: string;
  stderr: string;
}

const dir = mkdtempSync(join(tmpdir(), 'cp-main-'));
let files = 0;
function file(content: string): string {
  const path = join(dir, `file-${(files += 1)}`);
  writeFileSync(path, content);
  return path;
}

const running: ChildProcess[] = [];

/** Runs main.ts with only the given CONTROL_PLANE_* variables, until it listens or exits. */
function startMain(env: Record<string, string>): Promise<Started> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CONTROL_PLANE_')));
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    // A data directory of each start's own unless the test names one (a restart on the same data).
    env: { ...inherited, CONTROL_PLANE_HOST: '127.0.0.1', CONTROL_PLANE_PORT: '0', CONTROL_PLANE_POLICY_FILE: file(GOOD_POLICY), CONTROL_PLANE_DATA_DIR: mkdtempSync(join(dir, 'data-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  const started: Started = { child, stdout: '', stderr: '' };
  return new Promise((done) => {
    child.stderr!.on('data', (chunk: Buffer) => (started.stderr += chunk.toString('utf8')));
    child.stdout!.on('data', (chunk: Buffer) => {
      started.stdout += chunk.toString('utf8');
      const url = /control plane on ((?:https?:\/\/|unix:)[^,\s]+)/.exec(started.stdout)?.[1];
      if (url && !started.url) done({ ...started, url });
    });
    child.on('exit', (code) => done({ ...started, exitCode: code }));
  });
}

afterEach(() => {
  // Only the processes this spec started, by their own handle.
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill();
});

jest.setTimeout(30000);

describe('main.ts', () => {
  describe('refuses to start on a configuration problem: exit 2, one line on stderr', () => {
    const contradictory = JSON.stringify({
      serial: 3,
      tasks: {
        'ci-*': {
          rules: [
            { id: 'run-tests', effect: 'allow', actions: ['run_command'], commands: ['npm test', 'python3 -m pytest *'] },
            { id: 'no-deploy-keys', effect: 'deny', actions: ['*'], paths: ['.deploy/*'] },
          ],
        },
      },
    });
    it.each<[string, () => Record<string, string>, (stderr: string) => void]>([
      [
        'a contradictory policy file',
        () => ({ CONTROL_PLANE_POLICY_FILE: file(contradictory), CONTROL_PLANE_OPERATOR_TOKEN: TOKEN }),
        (line) => {
          expect(line).toMatch(/^\[control-plane\] policy file \/\S+ is contradictory: task pattern "ci-\*": allow rule "run-tests" lets "npm" run, which can do what deny rule "no-deploy-keys" forbids; narrow the allow rule or mark it "arbitrary_code": true$/);
        },
      ],
      ['a policy file without serial', () => ({ CONTROL_PLANE_POLICY_FILE: file('{"tasks": {}}'), CONTROL_PLANE_OPERATOR_TOKEN: TOKEN }), (line) => expect(line).toMatch(/is invalid: serial: /)],
      ['a policy file that is not JSON', () => ({ CONTROL_PLANE_POLICY_FILE: file('{'), CONTROL_PLANE_OPERATOR_TOKEN: TOKEN }), (line) => expect(line).toMatch(/is invalid: /)],
      ['a missing policy file', () => ({ CONTROL_PLANE_POLICY_FILE: join(dir, 'absent.json'), CONTROL_PLANE_OPERATOR_TOKEN: TOKEN }), (line) => expect(line).toContain('does not exist')],
      ['both token variables', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_OPERATOR_TOKEN_FILE: file(TOKEN) }), (line) => expect(line).toContain('not both')],
      ['an unreadable token file', () => ({ CONTROL_PLANE_OPERATOR_TOKEN_FILE: join(dir, 'no-token') }), (line) => expect(line).toContain('CONTROL_PLANE_OPERATOR_TOKEN_FILE=')],
      ['a short operator token', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: 'short' }), (line) => expect(line).toContain('operatorToken must be at least 16 characters')],
      ['an empty token file', () => ({ CONTROL_PLANE_OPERATOR_TOKEN_FILE: file('\n') }), (line) => expect(line).toContain('operatorToken must be at least 16 characters')],
      ['a heartbeat interval that is not a number', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_HEARTBEAT_INTERVAL_S: 'soon' }), (line) => expect(line).toContain('CONTROL_PLANE_HEARTBEAT_INTERVAL_S=soon must be a positive number')],
      ['a zero heartbeat interval', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_HEARTBEAT_INTERVAL_S: '0' }), (line) => expect(line).toContain('must be a positive number')],
      ['a fractional missed-heartbeat count', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_LOST_AFTER_MISSED_HEARTBEATS: '1.5' }), (line) => expect(line).toContain('CONTROL_PLANE_LOST_AFTER_MISSED_HEARTBEATS=1.5 must be a positive integer')],
      ['a task cap that is not a number', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_MAX_TASK_BYTES: '64MiB' }), (line) => expect(line).toBe('[control-plane] CONTROL_PLANE_MAX_TASK_BYTES=64MiB must be a positive integer')],
      ['a zero action cap', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_MAX_TASK_ACTIONS: '0' }), (line) => expect(line).toBe('[control-plane] CONTROL_PLANE_MAX_TASK_ACTIONS=0 must be a positive integer')],
      ['a fractional store cap', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_MAX_STORED_BYTES: '1.5' }), (line) => expect(line).toBe('[control-plane] CONTROL_PLANE_MAX_STORED_BYTES=1.5 must be a positive integer')],
      ['a database URL that is not postgres://', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_DATABASE_URL: 'mysql://u:secret@h/db' }), (line) => {
        expect(line).toBe('[control-plane] CONTROL_PLANE_DATABASE_URL must be a postgres://user:password@host:port/database URL');
      }],
      ['both database variables', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_DATABASE_URL: 'postgres://h/db', CONTROL_PLANE_DATABASE_URL_FILE: file('postgres://h/db') }), (line) => expect(line).toContain('not both')],
      ['a data directory that is a file', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_DATA_DIR: file('not a directory') }), (line) => {
        expect(line).toMatch(/^\[control-plane\] cannot open the task store \(CONTROL_PLANE_DATA_DIR=\/\S+\): [^\n]+$/);
      }],
      ['a socket in a directory that does not exist', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_SOCKET: join(dir, 'absent', 'cp.sock') }), (line) => {
        expect(line).toBe(`[control-plane] CONTROL_PLANE_SOCKET=${join(dir, 'absent', 'cp.sock')}: directory ${join(dir, 'absent')} does not exist; create it or choose another path`);
      }],
      ['a socket path that is a regular file', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_SOCKET: file('x') }), (line) => expect(line).toMatch(/CONTROL_PLANE_SOCKET=\S+ exists and is not a socket; remove it or choose another path$/)],
      ['an agent socket directory that does not exist', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_AGENT_SOCKET_DIR: join(dir, 'absent') }), (line) => {
        expect(line).toBe(`[control-plane] CONTROL_PLANE_AGENT_SOCKET_DIR=${join(dir, 'absent')} is not a directory; create it (mode 755) or choose another path`);
      }],
      ['a TLS certificate without its key', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_TLS_CERT_FILE: file('cert') }), (line) => expect(line).toContain('set both CONTROL_PLANE_TLS_CERT_FILE and CONTROL_PLANE_TLS_KEY_FILE')],
    ])('%s', async (_name, env, check) => {
      const started = await startMain(env());
      expect(started.exitCode).toBe(2);
      const stderr = started.stderr.trimEnd();
      expect(stderr.split('\n')).toHaveLength(1);
      check(stderr);
    });
  });

  it('without a configured token, generates one, prints it once on stderr under a one-line explanation, and requires it', async () => {
    const started = await startMain({});
    const [explanation, token, ...rest] = started.stderr.trimEnd().split('\n');
    expect(explanation).toMatch(/^\[control-plane\] no CONTROL_PLANE_OPERATOR_TOKEN_FILE or CONTROL_PLANE_OPERATOR_TOKEN set: /);
    expect(token).toMatch(/^tfo_[A-Za-z0-9_-]{43}$/);
    expect(rest).toEqual([]);
    const create = (bearer: string) => fetch(`${started.url}/v1/tasks`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: '{}' });
    expect((await create(token)).status).toBe(201);
    expect((await create(TOKEN)).status).toBe(401);
    expect(started.stdout).not.toContain(token);
  });

  it.each([
    ['CONTROL_PLANE_OPERATOR_TOKEN', () => ({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN })],
    ['CONTROL_PLANE_OPERATOR_TOKEN_FILE (trailing newline ignored)', () => ({ CONTROL_PLANE_OPERATOR_TOKEN_FILE: file(`${TOKEN}\n`) })],
  ])('takes the operator token from %s, and the heartbeat settings from the environment', async (_name, env) => {
    const started = await startMain({ ...env(), CONTROL_PLANE_HEARTBEAT_INTERVAL_S: '2.5', CONTROL_PLANE_LOST_AFTER_MISSED_HEARTBEATS: '4' });
    expect(started.stderr).toBe('');
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const created = (await (await fetch(`${started.url}/v1/tasks`, { method: 'POST', headers, body: '{}' })).json()) as { task_id: string; agent_token: string };
    const registered = await fetch(`${started.url}/v1/tasks/${created.task_id}/register`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${created.agent_token}` }, body: JSON.stringify({ agent: AGENT }) });
    expect(await registered.json()).toEqual({ task_id: created.task_id, heartbeat_interval_s: 2.5 });
    expect(started.stdout).not.toContain(created.agent_token);
  });

  it('serves HTTPS with CONTROL_PLANE_TLS_CERT_FILE and CONTROL_PLANE_TLS_KEY_FILE', async () => {
    const pki = makeTestPki();
    const started = await startMain({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_TLS_CERT_FILE: pki.certFile, CONTROL_PLANE_TLS_KEY_FILE: pki.keyFile });
    expect(started.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await httpsJson(`${started.url}/v1/tasks`, { ca: pki.ca, method: 'POST', token: TOKEN, body: {} })).toMatchObject({ status: 201 });
  });

  describe('tasks outlive the process (CONTROL_PLANE_DATA_DIR)', () => {
    const operator = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const call = async (url: string, method: string, path: string, body?: unknown, token = TOKEN) => {
      const response = await fetch(`${url}${path}`, { method, headers: { ...operator, authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };

    it('killed (SIGKILL) and started again on the same data directory, it has every task, result and credential it had', async () => {
      const dataDir = mkdtempSync(join(dir, 'kept-'));
      const first = await startMain({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_DATA_DIR: dataDir });
      const created = await call(first.url!, 'POST', '/v1/tasks', { task_id: 'survivor', actions: [{ id: 'a1', type: 'list_files' }, { id: 'a2', type: 'list_files' }], close_when_empty: false });
      expect(created.status).toBe(201);
      const agentToken = created.body.agent_token as string;
      expect((await call(first.url!, 'POST', '/v1/tasks/survivor/register', { agent: AGENT }, agentToken)).status).toBe(200);
      expect((await call(first.url!, 'GET', '/v1/tasks/survivor/actions/next', undefined, agentToken)).body.action.id).toBe('a1');
      const decision = { decision_id: 'd1', action_id: 'a1', action_type: 'list_files', allowed: true, matched_rule: 'files', policy_revision: 'r', reason: 'allowed by rule' };
      const reported = { action_id: 'a1', status: 'succeeded', decision, entries: [{ name: 'x', type: 'file', size: 1 }], duration_ms: 2 };
      expect((await call(first.url!, 'POST', '/v1/tasks/survivor/actions/a1/result', reported, agentToken)).status).toBe(200);
      const before = (await call(first.url!, 'GET', '/v1/tasks/survivor')).body;
      first.child.kill('SIGKILL');
      await new Promise((done) => first.child.once('exit', done));

      const second = await startMain({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_DATA_DIR: dataDir });
      expect(second.stderr).toBe('');
      const after = (await call(second.url!, 'GET', '/v1/tasks/survivor')).body;
      expect(after).toEqual(before);
      expect(after).toMatchObject({ state: 'running', dispatched: ['a1'], queued: [{ id: 'a2' }], results: [reported], registered_agent: AGENT });
      // The agent's credential still opens its task, and the queue goes on where it was.
      expect((await call(second.url!, 'GET', '/v1/tasks/survivor/actions/next', undefined, agentToken)).body.action.id).toBe('a2');
      expect((await call(second.url!, 'POST', '/v1/tasks', { task_id: 'survivor' })).status).toBe(409);
    });
  });

  it('with CONTROL_PLANE_DATABASE_URL_FILE, two processes share their tasks in PostgreSQL; a wrong password is one line that does not show it', async () => {
    const postgres = await startPostgres(5473);
    try {
      const env = { CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_DATABASE_URL_FILE: file(`${postgres.url}\n`) };
      const [one, two] = [await startMain(env), await startMain(env)];
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      expect((await fetch(`${one.url}/v1/tasks`, { method: 'POST', headers, body: JSON.stringify({ task_id: 'shared' }) })).status).toBe(201);
      expect((await (await fetch(`${two.url}/v1/tasks/shared`, { headers })).json()) as Record<string, unknown>).toMatchObject({ task_id: 'shared', state: 'queued' });
      const wrong = postgres.url.replace(/:(pw-[^@]+)@/, ':not-the-password@');
      const refused = await startMain({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_DATABASE_URL: wrong });
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr.trimEnd()).toMatch(/^\[control-plane\] cannot open the task store \(CONTROL_PLANE_DATABASE_URL\): password authentication failed for user "taskforge"$/);
      expect(refused.stderr).not.toContain('not-the-password');
    } finally {
      for (const child of running.splice(0)) if (child.exitCode === null) child.kill();
      await postgres.remove();
    }
    // Room for installing Debian's PostgreSQL on a machine that has none.
  }, 180_000);

  describe('CONTROL_PLANE_SOCKET', () => {
    /** A GET over a unix socket; fetch() cannot. */
    const getOverSocket = (socket: string, path: string, token?: string) =>
      new Promise<{ status: number; body: string }>((done, failed) => {
        const req = request({ socketPath: socket, path, headers: token ? { authorization: `Bearer ${token}` } : {} }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          response.on('end', () => done({ status: response.statusCode!, body }));
        });
        req.on('error', failed);
        req.end();
      });

    it('listens on the socket instead of host and port, mode 0666, taking the place of a stale socket file', async () => {
      const socket = join(mkdtempSync(join(dir, 'sock-')), 'control-plane.sock');
      // A socket file whose server was killed: nobody answers on it.
      const stale = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      expect(stale.signal).toBe('SIGKILL');
      expect(statSync(socket).isSocket()).toBe(true);
      const started = await startMain({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_SOCKET: socket });
      expect(started.url).toBe(`unix:${socket}`);
      expect(started.stderr).toBe('');
      expect(statSync(socket).mode & 0o777).toBe(0o666);
      expect(await getOverSocket(socket, '/healthz')).toEqual({ status: 200, body: '{"ok":true}' });
      expect((await getOverSocket(socket, '/v1/tasks/none', TOKEN)).status).toBe(404);
      // A second control plane on the same socket is refused: the first still answers there.
      const second = await startMain({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_SOCKET: socket });
      expect(second.exitCode).toBe(2);
      expect(second.stderr.trimEnd()).toBe(`[control-plane] CONTROL_PLANE_SOCKET=${socket}: another process listens on it; stop it or choose another path`);
      expect(existsSync(socket)).toBe(true);
    });
  });

  describe('apps/control-plane/policies.example.json, the file `nx serve control-plane` starts with', () => {
    const example = join(REPO_ROOT, 'apps/control-plane/policies.example.json');

    it('parses, has a serial, and contradicts itself nowhere', () => {
      const content = parsePolicyFile(readFileSync(example, 'utf8'));
      expect(content.serial).toBeGreaterThanOrEqual(1);
      expect(policyFileContradiction(content)).toBeUndefined();
    });

    it('is served: the default entry denies the secrets dir, the sandbox entry admits it runs arbitrary code', async () => {
      const started = await startMain({ CONTROL_PLANE_OPERATOR_TOKEN: TOKEN, CONTROL_PLANE_POLICY_FILE: example });
      expect(started.stderr).toBe('');
      const operator = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const policyOf = async (taskId: string) => {
        const created = (await (await fetch(`${started.url}/v1/tasks`, { method: 'POST', headers: operator, body: JSON.stringify({ task_id: taskId }) })).json()) as { agent_token: string };
        const policy = await fetch(`${started.url}/v1/tasks/${taskId}/policy`, { headers: { authorization: `Bearer ${created.agent_token}` } });
        return (await policy.json()) as { rules: Array<{ id: string; arbitrary_code?: boolean }> };
      };
      const plain = await policyOf('plain');
      expect(plain.rules.map((rule) => rule.id)).toContain('no-secrets-dir');
      expect(plain.rules.some((rule) => rule.arbitrary_code)).toBe(false);
      expect((await policyOf('sandbox-1')).rules.filter((rule) => rule.arbitrary_code)).toHaveLength(1);
    });
  });
});
