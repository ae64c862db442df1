/** One connection inside a transaction. SQL is written with `?` placeholders; each database numbers them as it needs. */
export interface SqlSession {
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a statement; how many rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
}

/** What SqlTaskStore needs of a database: the same SQL runs on both kinds, bar the row lock. */
export interface SqlDatabase {
  /**
   * Appended to a SELECT of a task's row in a transaction that changes the
   * task: ` FOR UPDATE` on PostgreSQL, so that replicas change one task one
   * after the other; nothing on SQLite, whose transactions (one process, one
   * connection) already run one at a time.
   */
  readonly lockRow: string;
  /** Runs the schema (idempotent), once, also when several replicas start together. */
  open(schema: string): Promise<void>;
  /** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
