/** Where a task image build is: queued until a worker takes it, building, then done or failed (never silently gone). */
export type BuildState = 'queued' | 'building' | 'done' | 'failed';

/** What the image-builder knows about one task image build; `GET /v1/task-images/{id}` answers it. */
export interface BuildRecord {
  id: string;
  task_id: string;
  /** The capabilities as requested (already checked against the grammar and the catalogue). */
  capabilities: string[];
  state: BuildState;
  /** The base as config/task-builds.json named it when the build started, and the digest it was pinned to. */
  base_image: string | null;
  base_digest: string | null;
  /** Content key of the capability set (base digest, pinned capabilities, builder version). */
  capability_key: string | null;
  /** Whether the capability layers were built for this task or reused from an earlier build. */
  layers: 'built' | 'reused' | null;
  /** `registry/openclaw-task@sha256:...`, pinned by digest, and the readable tag that points to it. */
  image: string | null;
  image_tag: string | null;
  size_bytes: number | null;
  /** The task image's CycloneDX SBOM in the registry: `registry/openclaw-task:sha256-<hex>.sbom`. */
  sbom: string | null;
  seconds: number | null;
  /** Why it failed: the failing step and its last output lines. */
  error: string | null;
  /** How many times a restart or another replica took it up again. */
  resumed: number;
  /** The image-builder process that holds or held it last (`host-pid-id`), null while queued for the first time. */
  replica: string | null;
  created_at: string;
  updated_at: string;
}

/** A build as it is recorded when its request is accepted: queued, nothing resolved yet. */
export function queuedBuild(id: string, taskId: string, capabilities: string[], now = new Date().toISOString()): BuildRecord {
  return {
    id,
    task_id: taskId,
    capabilities,
    state: 'queued',
    base_image: null,
    base_digest: null,
    capability_key: null,
    layers: null,
    image: null,
    image_tag: null,
    size_bytes: null,
    sbom: null,
    seconds: null,
    error: null,
    resumed: 0,
    replica: null,
    created_at: now,
    updated_at: now,
  };
}
