import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Action, ActionResult } from '@taskforge/agent-contract';
import { startPostgres, type PostgresServer } from '@taskforge/testing';
import { openTaskStore, ResultNotStored, StoreFull, TaskConflict, TaskQuotaExceeded, UnknownTask, type TaskCaps, type TaskStore } from '../src';
import { AGENT, result } from './support';

jest.setTimeout(120_000);

const BEAT = { state: 'idle' as const, current_action: null, policy_revision: null };
const list = (id: string): Action => ({ id, type: 'list_files', path: '.' });
/** A result whose JSON is about `bytes` long. */
const sized = (actionId: string, bytes: number): ActionResult => result(actionId, { stdout: 'o'.repeat(bytes) }) as ActionResult;
const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** A store kind under test: `open()` gives a new connection to the same tasks, as a restarted or second process would. */
interface StoreKind {
  name: string;
  /** Whether two processes may share it: PostgreSQL's replicas; SQLite serves one control plane. */
  shared: boolean;
  setUp(): Promise<void>;
  open(caps?: Partial<TaskCaps>): Promise<TaskStore>;
  /** Every stored byte of the database, to look for what must not be there. */
  dump(): Promise<string>;
  tearDown(): Promise<void>;
}

let postgres: PostgresServer;
let dataDir: string;
let databaseNumber = 0;
let databaseUrl: string;

const sqlite: StoreKind = {
  name: 'SQLite (one control plane)',
  shared: false,
  async setUp() {
    dataDir = mkdtempSync(join(tmpdir(), 'task-store-'));
  },
  async open(caps) {
    const store = openTaskStore({ dataDir }, caps);
    await store.open();
    return store;
  },
  async dump() {
    return readdirSync(dataDir)
      .map((file) => readFileSync(join(dataDir, file)).toString('latin1'))
      .join('\n');
  },
  async tearDown() {
    rmSync(dataDir, { recursive: true, force: true });
  },
};

const postgresql: StoreKind = {
  name: 'PostgreSQL (replicas)',
  shared: true,
  async setUp() {
    // A database of each test's own on the suite's server.
    databaseNumber += 1;
    const { Client } = require('pg') as typeof import('pg');
    const admin = new Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE tasks_${databaseNumber}`);
    await admin.end();
    databaseUrl = postgres.url.replace(/\/taskforge$/, `/tasks_${databaseNumber}`);
  },
  async open(caps) {
    const store = openTaskStore({ databaseUrl }, caps);
    await store.open();
    return store;
  },
  async dump() {
    const { Client } = require('pg') as typeof import('pg');
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const tables = await client.query(`SELECT row_to_json(t)::text AS row FROM tasks t UNION ALL SELECT row_to_json(a)::text FROM actions a`);
      return tables.rows.map((row: { row: string }) => row.row).join('\n');
    } finally {
      await client.end();
    }
  },
  // Each test's database stays on the suite's server, which is removed after the suite.
  tearDown: () => Promise.resolve(),
};

beforeAll(async () => {
  postgres = await startPostgres(5471);
});
afterAll(async () => {
  await postgres?.remove();
});

describe.each([sqlite, postgresql])('tasks in $name', (kind) => {
  const opened: TaskStore[] = [];
  const open = async (caps?: Partial<TaskCaps>) => {
    const store = await kind.open(caps);
    opened.push(store);
    return store;
  };
  beforeEach(() => kind.setUp());
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => undefined);
    await kind.tearDown();
  });

  it('keeps every task, queue, dispatch, result with its decision, heartbeat, token hash and lost/done state across a reopen (a restart loses nothing)', async () => {
    const store = await open();
    const working = await store.create([list('a1'), list('a2'), list('a3')], { taskId: 'working', closeWhenEmpty: false });
    await store.register('working', AGENT);
    expect(await store.next('working')).toEqual({ action: list('a1') });
    expect(await store.next('working')).toEqual({ action: list('a2') });
    expect(await store.record('working', result('a1') as ActionResult)).toBe('recorded');
    await store.heartbeat('working', BEAT);
    await store.heartbeat('working', { ...BEAT, state: 'running', current_action: 'a2' });
    const requests = await store.noteAgentRequest('working');
    const lost = await store.create([], { taskId: 'lost' });
    await store.register('lost', AGENT);
    expect(await store.markLost('lost', 'no request from its agent for 15.0 s', 0)).toBe(true);
    await store.create([], { taskId: 'finished' });
    await store.register('finished', AGENT);
    expect(await store.next('finished')).toEqual({ done: true });
    const before = await Promise.all(['working', 'lost', 'finished'].map((id) => store.get(id)));
    await store.close();
    opened.pop();

    const reopened = await open();
    expect(await Promise.all(['working', 'lost', 'finished'].map((id) => reopened.get(id)))).toEqual(before);
    expect(before[0]).toMatchObject({
      state: 'running',
      registered_agent: AGENT,
      queued: [list('a3')],
      dispatched: ['a1', 'a2'],
      results: [result('a1')],
      heartbeats: 2,
      last_heartbeat: { state: 'running', current_action: 'a2', at: expect.any(String) },
    });
    expect(before[1]).toMatchObject({ state: 'lost', lost_reason: 'no request from its agent for 15.0 s', lost_at: expect.any(String) });
    expect(before[2]).toMatchObject({ state: 'done' });
    expect(await reopened.summary('working')).toMatchObject({ agent_requests: requests, queued: 1 });
    expect(await reopened.agentTokenMatches('working', working.agentToken)).toBe(true);
    expect(await reopened.agentTokenMatches('lost', working.agentToken)).toBe(false);
    expect(await reopened.agentTokenMatches('lost', lost.agentToken)).toBe(true);
    // What was dispatched stays dispatched, the repeat of a recorded result is still recognised, and the queue goes on where it was.
    expect(await reopened.record('working', result('a1') as ActionResult)).toBe('repeated');
    await expect(reopened.record('working', result('a1', { status: 'failed' }) as ActionResult)).rejects.toThrow(TaskConflict);
    expect(await reopened.record('working', result('a2') as ActionResult)).toBe('recorded');
    expect(await reopened.next('working')).toEqual({ action: list('a3') });
    expect(await reopened.noteAgentRequest('lost')).toBeUndefined();
    expect(await reopened.runningTasks()).toEqual([{ task_id: 'working', agent_requests: requests }]);
    // Tokens are stored as their SHA-256 only.
    const stored = await kind.dump();
    for (const token of [working.agentToken, lost.agentToken]) expect(stored).not.toContain(token);
    expect(stored).toContain(require('node:crypto').createHash('sha256').update(working.agentToken).digest('hex'));
  });

  it('dispatches each action to exactly one of many callers asking at once, in queue order per task', async () => {
    const replicas = kind.shared ? [await open(), await open()] : [await open()];
    const ids = Array.from({ length: 30 }, (_, i) => `a${String(i).padStart(2, '0')}`);
    await replicas[0].create(ids.map(list), { taskId: 'busy', closeWhenEmpty: false });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => replicas[i % replicas.length].next('busy')));
    const dispatched = answers.flatMap((answer) => ('action' in answer ? [answer.action.id] : []));
    expect([...dispatched].sort()).toEqual(ids);
    expect(answers.filter((answer) => 'wait_ms' in answer)).toHaveLength(10);
    const record = await replicas[replicas.length - 1].get('busy');
    expect([...record.dispatched].sort()).toEqual(ids);
    expect(record.queued).toEqual([]);
  });

  it('keeps one task within its caps of actions and bytes while another task goes on', async () => {
    const store = await open({ maxTaskActions: 3, maxTaskBytes: 20_000 });
    await store.create([list('a1'), list('a2')], { taskId: 'full' });
    await expect(store.enqueue('full', [list('a3'), list('a4')])).rejects.toThrow(
      new TaskQuotaExceeded('task full would have 4 actions, over its cap of 3 (maxTaskActions, CONTROL_PLANE_MAX_TASK_ACTIONS)'),
    );
    await expect(store.create([list('b1'), list('b2'), list('b3'), list('b4')], { taskId: 'too-many' })).rejects.toThrow(TaskQuotaExceeded);
    expect(await store.has('too-many')).toBe(false);
    await store.enqueue('full', [list('a3')]);
    await store.create([list('o1')], { taskId: 'other' });
    for (let i = 0; i < 3; i++) await store.next('full');
    expect(await store.record('full', sized('a1', 12_000))).toBe('recorded');
    const big = sized('a2', 12_000);
    const refused = store.record('full', big);
    await expect(refused).rejects.toThrow(ResultNotStored);
    await expect(refused).rejects.toThrow(/^the result of action a2 \(\d+ bytes\) would take task full to \d+ bytes, over its cap of 20000 bytes \(maxTaskBytes, CONTROL_PLANE_MAX_TASK_BYTES\)$/);
    // The same result again gets the same answer; the placeholder settles the action, so the task can still finish.
    await expect(store.record('full', big)).rejects.toThrow(ResultNotStored);
    expect(await store.record('full', result('a3') as ActionResult)).toBe('recorded');
    expect(await store.next('full')).toEqual({ done: true });
    const full = await store.get('full');
    expect(full.results.map((r) => r.action_id)).toEqual(['a1', 'a2', 'a3']);
    expect(full.results[1]).toEqual({
      action_id: 'a2',
      status: 'succeeded',
      decision: big.decision,
      truncated: true,
      error: expect.stringMatching(/^the control plane did not store this result \(\d+ bytes\): the result of action a2 .* over its cap of 20000 bytes/),
      duration_ms: big.duration_ms,
    });
    // The other task is untouched by the first one's caps.
    expect(await store.next('other')).toEqual({ action: list('o1') });
    expect(await store.record('other', sized('o1', 15_000))).toBe('recorded');
  });

  it('stops taking actions and results once the store as a whole is full, whichever task they are for', async () => {
    const store = await open({ maxStoredBytes: 30_000 });
    await store.create([list('a1'), list('a2')], { taskId: 'first' });
    await store.create([list('b1')], { taskId: 'second' });
    await store.next('first');
    await store.next('first');
    await store.next('second');
    expect(await store.record('first', sized('a1', 25_000))).toBe('recorded');
    const used = await store.storedBytes();
    expect(used).toBeGreaterThan(25_000);
    await expect(store.record('second', sized('b1', 10_000))).rejects.toThrow(
      /^the control plane's store holds \d+ bytes of its 30000 bytes \(maxStoredBytes, CONTROL_PLANE_MAX_STORED_BYTES\); the result of action b1 \(\d+ bytes\) does not fit$/,
    );
    await expect(store.enqueue('second', [{ id: 'b2', type: 'write_file', path: 'x', content: 'x'.repeat(10_000), append: false }])).rejects.toThrow(StoreFull);
    await expect(store.create([{ id: 'c1', type: 'write_file', path: 'x', content: 'x'.repeat(10_000), append: false }], { taskId: 'third' })).rejects.toThrow(StoreFull);
    expect(await store.has('third')).toBe(false);
    // What still fits is taken: a small result, a task without actions.
    expect(await store.record('first', result('a2') as ActionResult)).toBe('recorded');
    await store.create([], { taskId: 'empty' });
    expect(await store.next('second')).toEqual({ done: true });
  });

  it('deletes a done or lost task with everything it held, freeing the caps, and never one still served', async () => {
    const store = await open({ maxStoredBytes: 30_000 });
    await store.create([list('a1')], { taskId: 'done-one' });
    await store.create([list('b1')], { taskId: 'running-one' });
    await store.register('running-one', AGENT);
    await store.next('done-one');
    expect(await store.record('done-one', sized('a1', 25_000))).toBe('recorded');
    expect(await store.next('done-one')).toEqual({ done: true });
    await expect(store.create([{ id: 'c1', type: 'write_file', path: 'x', content: 'x'.repeat(10_000), append: false }], { taskId: 'third' })).rejects.toThrow(StoreFull);
    await expect(store.delete('running-one')).rejects.toThrow(/^task running-one is running: only a done or lost task is deleted/);
    const before = await store.storedBytes();
    const freed = await store.delete('done-one');
    expect(freed).toBeGreaterThan(25_000);
    expect(await store.storedBytes()).toBe(before - freed);
    expect(await store.has('done-one')).toBe(false);
    await expect(store.delete('done-one')).rejects.toThrow(UnknownTask);
    await store.create([{ id: 'c1', type: 'write_file', path: 'x', content: 'x'.repeat(10_000), append: false }], { taskId: 'third' });
    // The id is free again; the old agent token opens nothing.
    await store.create([], { taskId: 'done-one' });
    expect((await store.get('done-one')).results).toEqual([]);
  });

  it('counts every byte it stores, and a refused batch or result adds nothing', async () => {
    const store = await open({ maxTaskBytes: 10_000 });
    const actions = [list('a1'), { id: 'w', type: 'write_file', path: 'x', content: 'é'.repeat(100), append: false } as Action];
    await store.create(actions, { taskId: 't' });
    expect(await store.storedBytes()).toBe(actions.reduce((sum, action) => sum + bytesOf(action), 0));
    const before = await store.storedBytes();
    await expect(store.enqueue('t', [list('a1')])).rejects.toThrow(TaskConflict);
    await expect(store.enqueue('t', [{ id: 'huge', type: 'write_file', path: 'x', content: 'x'.repeat(20_000), append: false }])).rejects.toThrow(TaskQuotaExceeded);
    expect(await store.storedBytes()).toBe(before);
    await store.next('t');
    await store.record('t', result('a1') as ActionResult);
    expect(await store.storedBytes()).toBe(before + bytesOf(result('a1')));
  });

  it.each(['__proto__', 'constructor', 'hasOwnProperty', 'toString'])('treats the id %s like any other, for a task and its actions', async (name) => {
    const store = await open();
    const ids = [...new Set([name, '__proto__', 'constructor'])];
    const { agentToken } = await store.create(ids.map(list), { taskId: name });
    const plain = await store.create([list(name)], { taskId: 'plain' });
    expect(await store.agentTokenMatches(name, agentToken)).toBe(true);
    expect(await store.agentTokenMatches(name, plain.agentToken)).toBe(false);
    await store.register(name, AGENT);
    const order: string[] = [];
    for (let answer = await store.next(name); 'action' in answer; answer = await store.next(name)) {
      order.push(answer.action.id);
      expect(await store.record(name, result(answer.action.id) as ActionResult)).toBe('recorded');
    }
    expect(order).toEqual(ids);
    await expect(store.record(name, result('valueOf') as ActionResult)).rejects.toThrow(`action valueOf was never dispatched to task ${name}`);
    expect(await store.get(name)).toMatchObject({ task_id: name, state: 'done', dispatched: order });
    expect((await store.get('plain')).queued).toEqual([list(name)]);
    await expect(store.create([], { taskId: name })).rejects.toThrow(`task ${name} already exists; pick another id`);
    expect(Object.prototype.hasOwnProperty.call({}, 'polluted')).toBe(false);
  });

  it('marks a task lost only if no request came since the sweep counted, and only once', async () => {
    const [one, other] = kind.shared ? [await open(), await open()] : [await open(), undefined];
    await one.create([], { taskId: 't' });
    await one.register('t', AGENT);
    const counted = (await one.summary('t')).agent_requests;
    await (other ?? one).noteAgentRequest('t');
    expect(await one.markLost('t', 'silent', counted)).toBe(false);
    expect((await one.summary('t')).state).toBe('running');
    const now = (await one.summary('t')).agent_requests;
    expect(await one.markLost('t', 'silent', now)).toBe(true);
    expect(await (other ?? one).markLost('t', 'silent again', now)).toBe(false);
    expect(await one.get('t')).toMatchObject({ state: 'lost', lost_reason: 'silent' });
    await expect(one.enqueue('t', [list('more')])).rejects.toThrow('task t is lost: silent; create a new task');
    await expect(one.register('t', AGENT)).rejects.toThrow(TaskConflict);
  });
});

describe('a shared store (PostgreSQL)', () => {
  beforeEach(() => postgresql.setUp());

  it('holds the cap in all exactly while two replicas record results at once', async () => {
    const caps = { maxStoredBytes: 100_000 };
    const replicas = [await postgresql.open(caps), await postgresql.open(caps)];
    try {
      for (let t = 0; t < 4; t++) {
        await replicas[0].create(Array.from({ length: 5 }, (_, i) => list(`a${i}`)), { taskId: `t${t}` });
        for (let i = 0; i < 5; i++) await replicas[0].next(`t${t}`);
      }
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          replicas[n % 2].record(`t${n % 4}`, sized(`a${Math.floor(n / 4)}`, 9_000)).then(
            () => 'recorded',
            (error: Error) => (error instanceof ResultNotStored ? 'refused' : error.message),
          ),
        ),
      );
      expect(outcomes.filter((o) => o !== 'recorded' && o !== 'refused')).toEqual([]);
      const tasks = await Promise.all([0, 1, 2, 3].map((t) => replicas[0].get(`t${t}`)));
      const results = tasks.flatMap((task) => task.results);
      const full = results.filter((r) => !r.truncated);
      expect(full.length).toBe(outcomes.filter((o) => o === 'recorded').length);
      expect(full.length).toBeGreaterThan(5);
      // Every byte is counted once; what was taken in full (actions and whole results) stayed within the cap, placeholders aside.
      const actionBytes = 4 * Array.from({ length: 5 }, (_, i) => bytesOf(list(`a${i}`))).reduce((a, b) => a + b, 0);
      const sum = (items: ActionResult[]) => items.reduce((total, r) => total + bytesOf(r), 0);
      expect(await replicas[1].storedBytes()).toBe(actionBytes + sum(results));
      expect(actionBytes + sum(full)).toBeLessThanOrEqual(caps.maxStoredBytes);
    } finally {
      for (const store of replicas) await store.close();
    }
  });

  it('drops no connection error on the floor: a store opened on a database that refuses the password says so', async () => {
    const store = openTaskStore({ databaseUrl: postgres.url.replace(/:pw-[^@]+@/, ':wrong@') });
    await expect(store.open()).rejects.toThrow(/password authentication failed/);
    await store.close();
  });

  it('lets replicas start together on an empty database', async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => postgresql.open()));
    await stores[0].create([list('a1')], { taskId: 'together' });
    expect((await stores[3].get('together')).queued).toEqual([list('a1')]);
    for (const store of stores) await store.close();
  });
});
