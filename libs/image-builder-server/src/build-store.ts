import type { BuildRecord, BuildState } from './build-record';

/** The columns both stores write when a request is accepted: the request and its progress. */
export const INSERTED_COLUMNS =
  'id, task_id, capabilities, state, base_image, base_digest, capability_key, layers, image, image_tag, size_bytes, sbom, seconds, error, resumed, created_at, updated_at';
/** What a record shows: those and the replica that holds it (the lease itself is the stores' own). */
export const PUBLIC_COLUMNS = `${INSERTED_COLUMNS}, owner AS replica`;

/** What a build step may change in a record; the request part (id, task, capabilities, creation) never changes. */
export type BuildPatch = Partial<Omit<BuildRecord, 'id' | 'task_id' | 'capabilities' | 'created_at' | 'updated_at'>>;

/**
 * Where build records, their logs, the queue and the capability-layer locks
 * live. SQLite serves one image-builder; PostgreSQL serves several replicas,
 * which then share the queue (a build is claimed by one replica under a
 * lease) and the locks (one build of a capability set across all of them).
 */
export interface BuildStore {
  /** Whether this process is the only image-builder on the store: then a build left `building` is an orphan at start. */
  readonly exclusive: boolean;
  /** Creates the tables when missing; called once before anything else. */
  open(): Promise<void>;
  create(record: BuildRecord): Promise<void>;
  get(id: string): Promise<BuildRecord | undefined>;
  /** Changes a record; with `owner`, only while that replica still holds the build's lease (undefined otherwise). */
  update(id: string, patch: BuildPatch, owner?: string): Promise<BuildRecord | undefined>;
  /**
   * Takes the oldest queued build, or a `building` one whose lease ran out
   * (its replica died), for `owner` until `leaseMs` from now. A taken-over
   * build counts one more `resumed`. Two replicas never take the same build.
   */
  claim(owner: string, leaseMs: number): Promise<{ record: BuildRecord; takenOver: boolean } | undefined>;
  /** Extends the lease; false when another replica has taken the build over. */
  renewLease(id: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Builds a previous process left `building` go back to the queue (exclusive stores only), oldest first. */
  requeueOrphans(): Promise<BuildRecord[]>;
  countInState(...states: BuildState[]): Promise<number>;
  appendLog(id: string, line: string): Promise<void>;
  /** Log lines from `from` on (0-based). */
  log(id: string, from?: number): Promise<string[]>;
  /** Runs `work` holding the lock `key` in every process sharing the store; a holder that dies releases it. */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
