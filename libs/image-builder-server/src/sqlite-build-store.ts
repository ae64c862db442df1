import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildRecord, BuildState } from './build-record';

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

/**
 * Build records in an SQLite file (`<dataDir>/image-builder.db`, WAL mode):
 * every state change is committed before the next step starts, so a restart
 * finds each build where it was and takes up the unfinished ones again.
 */
export class SqliteBuildStore {
  private readonly db: Database.Database;
  private readonly logSeq = new Map<string, number>();

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'image-builder.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  create(record: BuildRecord): void {
    this.db
      .prepare(
        `INSERT INTO builds (id, task_id, capabilities, state, base_image, base_digest, capability_key, layers, image, image_tag, size_bytes, seconds, error, resumed, created_at, updated_at)
         VALUES (@id, @task_id, @capabilities, @state, @base_image, @base_digest, @capability_key, @layers, @image, @image_tag, @size_bytes, @seconds, @error, @resumed, @created_at, @updated_at)`,
      )
      .run({ ...record, capabilities: JSON.stringify(record.capabilities) });
  }

  get(id: string): BuildRecord | undefined {
    const row = this.db.prepare('SELECT * FROM builds WHERE id = ?').get(id) as Row | undefined;
    return row && { ...row, capabilities: JSON.parse(row.capabilities) };
  }

  update(id: string, patch: Partial<Omit<BuildRecord, 'id' | 'task_id' | 'capabilities' | 'created_at'>>): BuildRecord {
    const fields = Object.keys(patch).filter((key) => key !== 'updated_at');
    const assignments = [...fields.map((key) => `${key} = @${key}`), 'updated_at = @updated_at'].join(', ');
    this.db.prepare(`UPDATE builds SET ${assignments} WHERE id = @id`).run({ ...patch, id, updated_at: new Date().toISOString() });
    return this.get(id)!;
  }

  /** Builds a restart must take up again, oldest first. */
  unfinished(): BuildRecord[] {
    const rows = this.db.prepare(`SELECT * FROM builds WHERE state IN ('queued', 'building') ORDER BY created_at`).all() as Row[];
    return rows.map((row) => ({ ...row, capabilities: JSON.parse(row.capabilities) }));
  }

  countInState(...states: BuildState[]): number {
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM builds WHERE state IN (${states.map(() => '?').join(', ')})`).get(...states) as { n: number };
    return row.n;
  }

  appendLog(id: string, line: string): void {
    let seq = this.logSeq.get(id);
    if (seq === undefined) seq = (this.db.prepare('SELECT COALESCE(MAX(seq), -1) AS seq FROM build_log WHERE build_id = ?').get(id) as { seq: number }).seq;
    seq += 1;
    this.logSeq.set(id, seq);
    this.db.prepare('INSERT INTO build_log (build_id, seq, line) VALUES (?, ?, ?)').run(id, seq, line);
  }

  /** Log lines from `from` on (0-based). */
  log(id: string, from = 0): string[] {
    return (this.db.prepare('SELECT line FROM build_log WHERE build_id = ? AND seq >= ? ORDER BY seq').all(id, from) as Array<{ line: string }>).map((row) => row.line);
  }

  close(): void {
    this.db.close();
  }
}
