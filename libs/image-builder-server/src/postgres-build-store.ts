import type { Pool, PoolClient } from 'pg';
import type { BuildRecord, BuildState } from './build-record';
import { INSERTED_COLUMNS, PUBLIC_COLUMNS, type BuildPatch, type BuildStore } from './build-store';
import { KeyedLock } from './keyed-lock';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS builds (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  capabilities JSONB NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'building', 'done', 'failed')),
  base_image TEXT, base_digest TEXT, capability_key TEXT, layers TEXT,
  image TEXT, image_tag TEXT, size_bytes BIGINT, seconds DOUBLE PRECISION, error TEXT,
  resumed INTEGER NOT NULL DEFAULT 0,
  owner TEXT, lease_until TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL
);
-- Columns added after the first release of the image-builder: an existing database gains them on open.
ALTER TABLE builds ADD COLUMN IF NOT EXISTS sbom TEXT;
CREATE INDEX IF NOT EXISTS builds_unfinished ON builds (created_at) WHERE state IN ('queued', 'building');
CREATE TABLE IF NOT EXISTS build_log (
  seq BIGSERIAL PRIMARY KEY,
  build_id TEXT NOT NULL REFERENCES builds (id),
  line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS build_log_by_build ON build_log (build_id, seq);
`;

// Any fixed number: replicas starting together create the tables one after the other.
const SCHEMA_LOCK = 0x7466_6962;

const PATCHABLE = new Set(['state', 'base_image', 'base_digest', 'capability_key', 'layers', 'image', 'image_tag', 'size_bytes', 'sbom', 'seconds', 'error', 'resumed']);

interface Row extends Omit<BuildRecord, 'size_bytes' | 'created_at' | 'updated_at'> {
  size_bytes: string | null;
  created_at: Date;
  updated_at: Date;
}

function toRecord(row: Row): BuildRecord {
  return {
    ...row,
    size_bytes: row.size_bytes === null ? null : Number(row.size_bytes),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/**
 * Build records, the queue and the capability-layer locks in PostgreSQL, for
 * several image-builder replicas. A replica claims the oldest queued build
 * with `FOR UPDATE SKIP LOCKED` under a lease it renews while it builds; a
 * build whose replica died goes to whichever replica claims next once the
 * lease (database time) runs out. Layer locks are session advisory locks, so
 * the database releases a dead replica's lock when its connection drops.
 */
export class PostgresBuildStore implements BuildStore {
  readonly exclusive = false;
  private readonly pool: Pool;
  private readonly locks = new KeyedLock();

  constructor(databaseUrl: string) {
    // Loaded on first use: a builder on SQLite never needs the PostgreSQL client.
    const { Pool: PoolClass } = require('pg') as typeof import('pg');
    this.pool = new PoolClass({ connectionString: databaseUrl, max: 10, application_name: 'taskforge-image-builder' });
    // An idle connection the server drops must not crash the service; the next query opens a new one.
    this.pool.on('error', () => undefined);
  }

  async open(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(SCHEMA);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async create(record: BuildRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO builds (${INSERTED_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        record.id, record.task_id, JSON.stringify(record.capabilities), record.state, record.base_image, record.base_digest, record.capability_key, record.layers,
        record.image, record.image_tag, record.size_bytes, record.sbom, record.seconds, record.error, record.resumed, record.created_at, record.updated_at,
      ],
    );
  }

  async get(id: string): Promise<BuildRecord | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${PUBLIC_COLUMNS} FROM builds WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  }

  async update(id: string, patch: BuildPatch, owner?: string): Promise<BuildRecord | undefined> {
    const fields = Object.keys(patch);
    for (const field of fields) if (!PATCHABLE.has(field)) throw new Error(`not a build field: ${field}`);
    const values: unknown[] = [id, ...fields.map((field) => patch[field as keyof BuildPatch])];
    const assignments = [...fields.map((field, i) => `${field} = $${i + 2}`), 'updated_at = now()'];
    let guard = '';
    if (owner !== undefined) {
      values.push(owner);
      guard = ` AND owner = $${values.length}`;
    }
    const { rows } = await this.pool.query<Row>(`UPDATE builds SET ${assignments.join(', ')} WHERE id = $1${guard} RETURNING ${PUBLIC_COLUMNS}`, values);
    return rows[0] && toRecord(rows[0]);
  }

  async claim(owner: string, leaseMs: number): Promise<{ record: BuildRecord; takenOver: boolean } | undefined> {
    const { rows } = await this.pool.query<Row & { previous: BuildState }>(
      `UPDATE builds
          SET state = 'building', owner = $1, lease_until = now() + make_interval(secs => $2::double precision / 1000),
              resumed = builds.resumed + CASE WHEN picked.previous = 'building' THEN 1 ELSE 0 END, updated_at = now()
         FROM (SELECT id, state AS previous FROM builds
                WHERE state = 'queued' OR (state = 'building' AND lease_until < now())
                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) picked
        WHERE builds.id = picked.id
        RETURNING ${INSERTED_COLUMNS.split(', ').map((column) => `builds.${column}`).join(', ')}, builds.owner AS replica, picked.previous`,
      [owner, leaseMs],
    );
    if (!rows[0]) return undefined;
    const { previous, ...row } = rows[0];
    return { record: toRecord(row as Row), takenOver: previous === 'building' };
  }

  async renewLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE builds SET lease_until = now() + make_interval(secs => $3::double precision / 1000) WHERE id = $1 AND owner = $2 AND state = 'building'`,
      [id, owner, leaseMs],
    );
    return rowCount === 1;
  }

  async requeueOrphans(): Promise<BuildRecord[]> {
    // Other replicas may be building: only an expired lease says a build is orphaned, and claim() takes those.
    return [];
  }

  async countInState(...states: BuildState[]): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM builds WHERE state = ANY($1::text[])', [states]);
    return Number(rows[0].n);
  }

  async appendLog(id: string, line: string): Promise<void> {
    await this.pool.query('INSERT INTO build_log (build_id, line) VALUES ($1, $2)', [id, line]);
  }

  async log(id: string, from = 0): Promise<string[]> {
    const { rows } = await this.pool.query<{ line: string }>('SELECT line FROM build_log WHERE build_id = $1 ORDER BY seq OFFSET $2', [id, from]);
    return rows.map((row) => row.line);
  }

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    // Waiters of this process queue here, so one connection per key waits on the database lock.
    return this.locks.run(key, async () => {
      const client: PoolClient = await this.pool.connect();
      let released = false;
      // The connection may drop while the work runs (a database restart): the lock is gone with it, the work goes on.
      // At worst a second replica builds the same layers too, which their content key makes harmless.
      const dropped = (error: Error) => console.error(`[image-builder] lost the database lock ${key} while holding it: ${error.message}`);
      client.on('error', dropped);
      try {
        await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
        try {
          return await work();
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch((error: Error) => {
            // A connection that failed loses its session locks with it: drop it rather than return it to the pool.
            client.release(error);
            released = true;
          });
        }
      } finally {
        client.off('error', dropped);
        if (!released) client.release();
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
