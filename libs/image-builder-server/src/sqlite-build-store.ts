import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildRecord, BuildState } from './build-record';
import { INSERTED_COLUMNS, PUBLIC_COLUMNS, type BuildPatch, type BuildStore } from './build-store';
import { KeyedLock } from './keyed-lock';

type Row = Omit<BuildRecord, 'capabilities'> & { capabilities: string };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS builds (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  capabilities TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'building', 'done', 'failed')),
  base_image TEXT, base_digest TEXT, capability_key TEXT, layers TEXT,
  image TEXT, image_tag TEXT, size_bytes INTEGER, seconds REAL, error TEXT,
  resumed INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS builds_unfinished ON builds (state) WHERE state IN ('queued', 'building');
CREATE TABLE IF NOT EXISTS build_log (
  build_id TEXT NOT NULL REFERENCES builds (id),
  seq INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (build_id, seq)
);
`;

// Columns added after the first release of the image-builder: an existing data directory gains them on open.
const ADDED_COLUMNS: Record<string, string> = { owner: 'TEXT', lease_until: 'INTEGER', sbom: 'TEXT' };


function toRecord(row: Row): BuildRecord {
  return { ...row, capabilities: JSON.parse(row.capabilities) };
}

/**
 * Build records in an SQLite file (`<dataDir>/image-builder.db`, WAL mode)
 * for one image-builder: every state change is committed before the next
 * step starts, so a restart finds each build where it was. The lock is this
 * process's own, since no other process builds from this file.
 */
export class SqliteBuildStore implements BuildStore {
  readonly exclusive = true;
  private readonly db: Database.Database;
  private readonly logSeq = new Map<string, number>();
  private readonly locks = new KeyedLock();

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'image-builder.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
  }

  async open(): Promise<void> {
    this.db.exec(SCHEMA);
    const existing = new Set((this.db.prepare('PRAGMA table_info(builds)').all() as Array<{ name: string }>).map((column) => column.name));
    for (const [name, type] of Object.entries(ADDED_COLUMNS)) if (!existing.has(name)) this.db.exec(`ALTER TABLE builds ADD COLUMN ${name} ${type}`);
  }

  async create(record: BuildRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO builds (${INSERTED_COLUMNS})
         VALUES (@id, @task_id, @capabilities, @state, @base_image, @base_digest, @capability_key, @layers, @image, @image_tag, @size_bytes, @sbom, @seconds, @error, @resumed, @created_at, @updated_at)`,
      )
      .run({ ...record, capabilities: JSON.stringify(record.capabilities) });
  }

  async get(id: string): Promise<BuildRecord | undefined> {
    return this.getNow(id);
  }

  private getNow(id: string): BuildRecord | undefined {
    const row = this.db.prepare(`SELECT ${PUBLIC_COLUMNS} FROM builds WHERE id = ?`).get(id) as Row | undefined;
    return row && toRecord(row);
  }

  async update(id: string, patch: BuildPatch, owner?: string): Promise<BuildRecord | undefined> {
    const assignments = [...Object.keys(patch).map((key) => `${key} = @${key}`), 'updated_at = @updated_at'].join(', ');
    const guard = owner === undefined ? '' : ' AND owner = @owner';
    const changed = this.db.prepare(`UPDATE builds SET ${assignments} WHERE id = @id${guard}`).run({ ...patch, id, owner, updated_at: new Date().toISOString() });
    return changed.changes ? this.getNow(id) : undefined;
  }

  async claim(owner: string, leaseMs: number): Promise<{ record: BuildRecord; takenOver: boolean } | undefined> {
    const now = Date.now();
    return this.db.transaction(() => {
      const row = this.db
        .prepare(`SELECT id, state FROM builds WHERE state = 'queued' OR (state = 'building' AND lease_until < ?) ORDER BY created_at LIMIT 1`)
        .get(now) as { id: string; state: BuildState } | undefined;
      if (!row) return undefined;
      const takenOver = row.state === 'building';
      this.db
        .prepare(`UPDATE builds SET state = 'building', owner = ?, lease_until = ?, resumed = resumed + ?, updated_at = ? WHERE id = ?`)
        .run(owner, now + leaseMs, takenOver ? 1 : 0, new Date(now).toISOString(), row.id);
      return { record: this.getNow(row.id)!, takenOver };
    })();
  }

  async renewLease(id: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.db.prepare(`UPDATE builds SET lease_until = ? WHERE id = ? AND owner = ? AND state = 'building'`).run(Date.now() + leaseMs, id, owner).changes === 1;
  }

  async requeueOrphans(): Promise<BuildRecord[]> {
    const rows = this.db.prepare(`SELECT ${PUBLIC_COLUMNS} FROM builds WHERE state = 'building' ORDER BY created_at`).all() as Row[];
    this.db.prepare(`UPDATE builds SET state = 'queued', lease_until = NULL, resumed = resumed + 1 WHERE state = 'building'`).run();
    return rows.map(toRecord);
  }

  async countInState(...states: BuildState[]): Promise<number> {
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM builds WHERE state IN (${states.map(() => '?').join(', ')})`).get(...states) as { n: number };
    return row.n;
  }

  async appendLog(id: string, line: string): Promise<void> {
    let seq = this.logSeq.get(id);
    if (seq === undefined) seq = (this.db.prepare('SELECT COALESCE(MAX(seq), -1) AS seq FROM build_log WHERE build_id = ?').get(id) as { seq: number }).seq;
    seq += 1;
    this.logSeq.set(id, seq);
    this.db.prepare('INSERT INTO build_log (build_id, seq, line) VALUES (?, ?, ?)').run(id, seq, line);
  }

  async log(id: string, from = 0): Promise<string[]> {
    return (this.db.prepare('SELECT line FROM build_log WHERE build_id = ? AND seq >= ? ORDER BY seq').all(id, from) as Array<{ line: string }>).map((row) => row.line);
  }

  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(key, work);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
