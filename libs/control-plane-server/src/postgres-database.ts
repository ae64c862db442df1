import type { Pool, PoolClient } from 'pg';
import type { SqlDatabase, SqlSession } from './sql-database';

// Any fixed number: replicas starting together create the tables one after the other.
const SCHEMA_LOCK = 0x7466_6370;

/** `?` placeholders as PostgreSQL's `$1, $2, ...` (the store's SQL has no `?` anywhere else). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${(n += 1)}`);
}

function sessionOf(client: PoolClient): SqlSession {
  return {
    rows: async <R>(sql: string, params: unknown[] = []) => (await client.query(numbered(sql), params)).rows as R[],
    run: async (sql: string, params: unknown[] = []) => (await client.query(numbered(sql), params)).rowCount ?? 0,
  };
}

/**
 * PostgreSQL shared by several control plane replicas. Transactions are READ
 * COMMITTED; those that change a task first lock its row (`lockRow`), so
 * two replicas change one task one after the other, never interleaved.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly lockRow = ' FOR UPDATE';
  private readonly pool: Pool;

  constructor(databaseUrl: string) {
    // Loaded on first use: a control plane on SQLite never needs the PostgreSQL client.
    const { Pool: PoolClass } = require('pg') as typeof import('pg');
    this.pool = new PoolClass({ connectionString: databaseUrl, max: 10, application_name: 'taskforge-control-plane' });
    // An idle connection the server drops must not crash the service; the next query opens a new one.
    this.pool.on('error', () => undefined);
  }

  async open(schema: string): Promise<void> {
    await this.transaction(async (session) => {
      await session.rows('SELECT pg_advisory_xact_lock(?)', [SCHEMA_LOCK]);
      await session.run(schema);
    });
  }

  async transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const value = await work(sessionOf(client));
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
