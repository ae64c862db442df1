import { PostgresDatabase } from './postgres-database';
import { SqliteDatabase } from './sqlite-database';
import { SqlTaskStore } from './sql-task-store';
import type { TaskCaps } from './task-caps';

export interface TaskStoreLocation {
  /** SQLite: the directory of `control-plane.db`, created when missing. One control plane. */
  dataDir?: string;
  /** PostgreSQL (`postgres://user:password@host:5432/db`) instead: several replicas on one database. */
  databaseUrl?: string;
}

/**
 * PostgreSQL when a database URL is given, SQLite under `dataDir` otherwise;
 * with neither, SQLite in a new temporary directory that close() removes
 * (tests, the agent harness). Nothing is opened (no file, no connection) before open().
 */
export function openTaskStore(location: TaskStoreLocation, caps: Partial<TaskCaps> = {}): SqlTaskStore {
  if (location.databaseUrl) return new SqlTaskStore(new PostgresDatabase(location.databaseUrl), caps);
  return new SqlTaskStore(new SqliteDatabase(location.dataDir), caps);
}
