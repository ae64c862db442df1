import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { startPostgres, type PostgresServer } from '@taskforge/testing';
import { PostgresBuildStore, queuedBuild, SqliteBuildStore, type BuildRecord, type BuildStore } from '../src';

jest.setTimeout(120_000);

// Created one after another, so the store's order by creation is the order of the ids.
const record = (id: string): BuildRecord => queuedBuild(id, `task-${id}`, ['apt_package:jq'], new Date(Date.UTC(2026, 0, 1) + Number(id.replace(/\D/g, '') || 0)).toISOString());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const poolOf = (store: BuildStore) => (store as unknown as { pool: Pool }).pool;

/** A store kind under test: `open()` gives a new connection to the same records, as a restarted or second process would. */
interface StoreKind {
  name: string;
  setUp(): Promise<void>;
  open(): Promise<BuildStore>;
  tearDown(): Promise<void>;
}

let postgres: PostgresServer;
let dataDir: string;
let databaseNumber = 0;
let databaseUrl: string;

const sqlite: StoreKind = {
  name: 'SQLite (one image-builder)',
  async setUp() {
    dataDir = mkdtempSync(join(tmpdir(), 'build-store-'));
  },
  async open() {
    const store = new SqliteBuildStore(dataDir);
    await store.open();
    return store;
  },
  async tearDown() {
    rmSync(dataDir, { recursive: true, force: true });
  },
};

const postgresql: StoreKind = {
  name: 'PostgreSQL (replicas)',
  async setUp() {
    // A database of each test's own on the suite's server.
    databaseNumber += 1;
    const admin = new PostgresBuildStore(postgres.url);
    await poolOf(admin).query(`CREATE DATABASE builds_${databaseNumber}`);
    await admin.close();
    databaseUrl = postgres.url.replace(/\/taskforge$/, `/builds_${databaseNumber}`);
  },
  async open() {
    const store = new PostgresBuildStore(databaseUrl);
    await store.open();
    return store;
  },
  // Each test's database stays on the suite's server, which is removed after the suite.
  tearDown: () => Promise.resolve(),
};

beforeAll(async () => {
  postgres = await startPostgres(5461);
});
afterAll(async () => {
  await postgres?.remove();
});

describe.each([sqlite, postgresql])('build records in $name', (kind) => {
  const opened: BuildStore[] = [];
  const open = async () => {
    const store = await kind.open();
    opened.push(store);
    return store;
  };
  beforeEach(() => kind.setUp());
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => undefined);
    await kind.tearDown();
  });

  it('keeps every record, state change and log line across a reopen (a restart loses nothing)', async () => {
    const store = await open();
    for (const id of ['b1', 'b2', 'b3']) await store.create(record(id));
    await store.update('b1', { state: 'building', base_digest: 'sha256:abc' });
    await store.update('b2', { state: 'done', image: 'localhost:5000/openclaw-task@sha256:def', size_bytes: 5_000_000_000 });
    await store.appendLog('b1', 'step one');
    await store.appendLog('b1', 'step two');
    await store.close();
    opened.pop();

    const reopened = await open();
    expect(await reopened.get('b1')).toMatchObject({ state: 'building', base_digest: 'sha256:abc', capabilities: ['apt_package:jq'], task_id: 'task-b1' });
    expect(await reopened.get('b2')).toMatchObject({ state: 'done', image: 'localhost:5000/openclaw-task@sha256:def', size_bytes: 5_000_000_000 });
    expect(await reopened.log('b1')).toEqual(['step one', 'step two']);
    await reopened.appendLog('b1', 'after the restart');
    expect(await reopened.log('b1', 2)).toEqual(['after the restart']);
    expect(await reopened.countInState('queued', 'building')).toBe(2);
    expect(await reopened.get('missing')).toBeUndefined();
  });

  it('stores values as given, whatever characters they hold', async () => {
    const store = await open();
    await store.create(record('b1'));
    const error = "step `RUN x` failed: it's \"quoted\"; DROP TABLE builds; --\u2028 $1 @id ?";
    await store.update('b1', { state: 'failed', error });
    expect(await store.get('b1')).toMatchObject({ state: 'failed', error });
  });

  it('hands out queued builds oldest first, each to exactly one of the processes claiming at once', async () => {
    const replicas = [await open(), await open()];
    for (let i = 1; i <= 20; i++) await replicas[0].create(record(`b${i}`));
    expect((await replicas[1].claim('replica-1', 60_000))!.record.id).toBe('b1');
    const claims = await Promise.all(Array.from({ length: 24 }, (_, i) => replicas[i % 2].claim(`replica-${i % 2}`, 60_000)));
    const claimed = claims.filter((claim) => claim !== undefined).map((claim) => claim!.record.id);
    expect(claimed.sort()).toEqual(Array.from({ length: 19 }, (_, i) => `b${i + 2}`).sort());
    expect(await replicas[1].claim('replica-1', 60_000)).toBeUndefined();
    expect(await replicas[0].countInState('building')).toBe(20);
  });

  it('gives a build whose lease ran out to the next claim, and its old holder can no longer record a result', async () => {
    const [dying, alive] = [await open(), await open()];
    await dying.create(record('b1'));
    await dying.create(record('b2'));
    expect((await dying.claim('dying', 300))!.record.id).toBe('b1');
    expect((await alive.claim('alive', 60_000))!.record.id).toBe('b2');
    expect(await alive.claim('alive', 60_000)).toBeUndefined();
    await sleep(600);
    const takenOver = await alive.claim('alive', 60_000);
    expect(takenOver).toMatchObject({ takenOver: true, record: { id: 'b1', state: 'building', resumed: 1 } });
    expect(await dying.update('b1', { state: 'done', image: 'stale' }, 'dying')).toBeUndefined();
    expect(await dying.renewLease('b1', 'dying', 60_000)).toBe(false);
    expect(await alive.update('b1', { state: 'done', image: 'fresh' }, 'alive')).toMatchObject({ state: 'done', image: 'fresh' });
  });

  it('keeps a build with its holder while the holder renews the lease', async () => {
    const [holder, other] = [await open(), await open()];
    await holder.create(record('b1'));
    await holder.claim('holder', 300);
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      expect(await holder.renewLease('b1', 'holder', 300)).toBe(true);
    }
    expect(await other.claim('other', 300)).toBeUndefined();
  });

  it('lets one holder of a lock work at a time, the others in turn; other keys do not wait', async () => {
    // SQLite serves one process: its builds all go through one store.
    const first = await open();
    const replicas = first.exclusive ? [first, first] : [first, await open()];
    let inside = 0;
    let most = 0;
    let finished = 0;
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        replicas[i % 2].withLock('capability-key', async () => {
          inside += 1;
          most = Math.max(most, inside);
          await sleep(30);
          finished += 1;
          inside -= 1;
        }),
      ),
    );
    expect({ most, finished }).toEqual({ most: 1, finished: 6 });
    const nested = await replicas[0].withLock('a', () => replicas[1].withLock('b', async () => 'both held'));
    expect(nested).toBe('both held');
  });
});

describe('a shared store (PostgreSQL)', () => {
  beforeEach(() => postgresql.setUp());

  it('releases the lock of a replica whose connection drops while it holds it', async () => {
    const dying = await postgresql.open();
    const alive = await postgresql.open();
    let release!: () => void;
    const held = dying.withLock('capability-key', () => new Promise<void>((resolve) => (release = resolve)));
    await sleep(200);
    let acquired = false;
    const waiting = alive.withLock('capability-key', async () => {
      acquired = true;
    });
    await sleep(300);
    expect(acquired).toBe(false);
    // The holder's session ends as it does when its process is killed; the database drops the session's locks with it.
    const holderSessions = await poolOf(alive).query(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`,
    );
    expect(holderSessions.rowCount).toBe(1);
    await poolOf(alive).query('SELECT pg_terminate_backend($1)', [holderSessions.rows[0].pid]);
    await waiting;
    expect(acquired).toBe(true);
    release();
    await held.catch(() => undefined);
    await dying.close().catch(() => undefined);
    await alive.close();
  });

  it('leaves builds another replica may still be running alone at start', async () => {
    const store = await postgresql.open();
    await store.create(record('b1'));
    await store.claim('other', 60_000);
    expect(await store.requeueOrphans()).toEqual([]);
    expect(await store.get('b1')).toMatchObject({ state: 'building' });
    await store.close();
  });
});

describe('a store of its own (SQLite)', () => {
  beforeEach(() => sqlite.setUp());
  afterEach(() => sqlite.tearDown());

  it('puts builds a previous process left building back in the queue at start', async () => {
    const before = await sqlite.open();
    await before.create(record('b1'));
    await before.create(record('b2'));
    await before.claim('gone', 60_000);
    await before.close();
    const after = await sqlite.open();
    expect((await after.requeueOrphans()).map((build) => build.id)).toEqual(['b1']);
    expect(await after.get('b1')).toMatchObject({ state: 'queued', resumed: 1 });
    expect((await after.claim('new', 60_000))!.record.id).toBe('b1');
    await after.close();
  });

  it('opens a data directory written before leases existed, keeping its records', async () => {
    const db = new Database(join(dataDir, 'image-builder.db'));
    db.exec(`CREATE TABLE builds (id TEXT PRIMARY KEY, task_id TEXT NOT NULL, capabilities TEXT NOT NULL, state TEXT NOT NULL,
      base_image TEXT, base_digest TEXT, capability_key TEXT, layers TEXT, image TEXT, image_tag TEXT, size_bytes INTEGER, seconds REAL, error TEXT,
      resumed INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
    db.prepare(`INSERT INTO builds (id, task_id, capabilities, state, created_at, updated_at) VALUES ('old', 'task-old', '["apt_package:jq"]', 'queued', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`).run();
    db.close();
    const store = await sqlite.open();
    expect((await store.claim('new', 60_000))!.record).toMatchObject({ id: 'old', task_id: 'task-old', state: 'building' });
    await store.close();
  });
});
