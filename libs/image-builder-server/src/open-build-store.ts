import type { BuildStore } from './build-store';
import { PostgresBuildStore } from './postgres-build-store';
import { SqliteBuildStore } from './sqlite-build-store';

/** PostgreSQL when a database URL is given (several replicas), SQLite under `dataDir` otherwise (one builder). */
export function openBuildStore(options: { dataDir: string; databaseUrl?: string }): BuildStore {
  return options.databaseUrl ? new PostgresBuildStore(options.databaseUrl) : new SqliteBuildStore(options.dataDir);
}
