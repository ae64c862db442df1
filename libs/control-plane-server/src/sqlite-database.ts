import type BetterSqlite3 from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlDatabase, SqlSession } from './sql-database';

/** The file under the data directory. */
export const SQLITE_FILE = 'control-plane.db';

/**
 * The control plane's SQLite file (`<dataDir>/control-plane.db`, WAL mode),
 * for one control plane. better-sqlite3 is synchronous; transactions are
 * chained one after another, so the statements of two requests never mix
 * on the one connection. Nothing touches the disk before open().
 */
export class SqliteDatabase implements SqlDatabase {
  readonly lockRow = '';
  private db?: BetterSqlite3.Database;
  private tail: Promise<unknown> = Promise.resolve();
  private openedDir?: string;

  /** `dataDir` undefined: a new temporary directory, removed by close() (tests, the agent harness). */
  constructor(private readonly dataDir: string | undefined) {}

  async open(schema: string): Promise<void> {
    // Loaded on first use: a control plane on PostgreSQL never needs the native addon.
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    if (this.dataDir === undefined) this.openedDir = mkdtempSync(join(tmpdir(), 'control-plane-'));
    else mkdirSync(this.dataDir, { recursive: true });
    const db = new Database(join(this.dataDir ?? this.openedDir!, SQLITE_FILE));
    db.pragma('journal_mode = WAL');
    // WAL with synchronous NORMAL: a commit survives a crash of the control plane (its process, a restart) the moment
    // it is made; only a power loss or a kernel crash may take the last commits back. FULL (an fsync per commit)
    // cost the agent bench two thirds of its actions/s here (54 instead of 160 per second), with every agent request
    // a commit; a deployment that must survive power loss without a loss runs replicas on PostgreSQL.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec(schema);
    this.db = db;
  }

  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      const db = this.db;
      if (!db) throw new Error('the task store is not open');
      const session: SqlSession = {
        rows: async <R>(sql: string, params: unknown[] = []) => db.prepare(sql).all(...params) as R[],
        run: async (sql: string, params: unknown[] = []) => db.prepare(sql).run(...params).changes,
      };
      db.exec('BEGIN IMMEDIATE');
      try {
        const value = await work(session);
        db.exec('COMMIT');
        return value;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.tail;
    this.db?.close();
    this.db = undefined;
    if (this.openedDir) rmSync(this.openedDir, { recursive: true, force: true });
  }
}
