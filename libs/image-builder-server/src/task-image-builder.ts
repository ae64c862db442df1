import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildStepError, buildImage, engineClient, inspectLocalImage, pushAs, registryTagDigest } from '@taskforge/engine';
import { contentTag, findReusableImage } from '@taskforge/image-build';
import { readTaskBuildDefaults, sourceDate, TASK_BUILD_DEFAULTS_FILE } from '@taskforge/image-model';
import { approveCapabilities, capabilitySetKey, CATALOGUE_FILE, parseCapabilityList, parseTaskId, readCatalogue, renderTaskBuild, RequestRefused, type ApprovedSet } from '@taskforge/task-images';
import { describeError, UserError } from '@taskforge/user-errors';
import { queuedBuild, type BuildRecord } from './build-record';
import { SingleFlight } from './single-flight';
import { SqliteBuildStore } from './sqlite-build-store';

/** Part of every capability key: a builder that renders differently must not reuse layers an older one built. */
export const BUILDER_VERSION = '2';

/** The repository task images are pushed to, and the one their capability layers are shared through. */
export const TASK_IMAGE_REPOSITORY = 'openclaw-task';
export const LAYERS_REPOSITORY = 'openclaw-task-layers';

export interface TaskImageBuilderOptions {
  /** Where config/capabilities.json and config/task-builds.json are read, at every build (a release moves the base without a restart). */
  configRoot: string;
  /** Where the build records live (SQLite file `image-builder.db`). */
  dataDir: string;
  /** Registry the base is resolved in and task images are pushed to, e.g. `localhost:5000`. */
  registry: string;
  /** The Python package index pip installs from (PEP 503; a company mirror in real use). */
  pipIndexUrl?: string;
  /** The network RUN steps use; `host` when the package index listens on this machine's loopback. */
  buildNetwork?: 'default' | 'host';
  /** Where the capability layers of each set are kept and shared through the registry (default openclaw-task-layers). */
  layersRepository?: string;
  /** Builds at a time (default 2) and builds waiting at most (default 100; beyond it, 429). */
  concurrency?: number;
  queueLimit?: number;
  docker?: Docker;
}

/** The queue is full: the caller should come back later. */
export class QueueFull extends Error {
  constructor(readonly retryAfterS: number) {
    super(`the build queue is full; retry in ${retryAfterS} s`);
  }
}

interface LayersImage {
  /** Local reference the task image is built FROM. */
  reference: string;
  outcome: 'built' | 'reused';
}

/**
 * Task images from approved capabilities, FROM the released base pinned by
 * digest. The capability layers of a set are built once (single flight, then
 * reused from the engine or the registry by their content key); each task
 * gets its own image on top, which differs only in its labels.
 */
export class TaskImageBuilder {
  readonly store: SqliteBuildStore;
  private readonly docker: Docker;
  private readonly layers = new SingleFlight<LayersImage>();
  private readonly waiting: string[] = [];
  private readonly finished = new Map<string, Array<(record: BuildRecord) => void>>();
  private active = 0;
  private stopped = false;

  constructor(private readonly options: TaskImageBuilderOptions) {
    this.store = new SqliteBuildStore(options.dataDir);
    this.docker = options.docker ?? engineClient();
  }

  private get concurrency(): number {
    return this.options.concurrency ?? 2;
  }

  /** Takes up the builds a previous process left queued or building. */
  resume(): BuildRecord[] {
    const unfinished = this.store.unfinished();
    for (const build of unfinished) {
      if (build.state === 'building') {
        this.store.update(build.id, { state: 'queued', resumed: build.resumed + 1 });
        this.store.appendLog(build.id, 'the image-builder restarted during this build: building it again');
      }
      this.waiting.push(build.id);
    }
    this.pump();
    return unfinished;
  }

  /**
   * Checks a request (`{task_id, capabilities}`) against the grammar and the
   * catalogue and queues its build. RequestRefused (400/403) or QueueFull
   * (429) before anything is recorded or built.
   */
  submit(body: unknown): BuildRecord {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RequestRefused(400, 'the body must be a JSON object {"task_id": "...", "capabilities": ["..."]}');
    const { task_id: taskIdValue, capabilities: capabilitiesValue, ...rest } = body as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length) throw new RequestRefused(400, `unknown field ${JSON.stringify(extra[0].slice(0, 40))}; the body has only task_id and capabilities`);
    const taskId = parseTaskId(taskIdValue);
    const requests = parseCapabilityList(capabilitiesValue);
    approveCapabilities(this.catalogue(), requests);
    if (this.waiting.length >= (this.options.queueLimit ?? 100)) throw new QueueFull(Math.max(1, Math.ceil(this.waiting.length / this.concurrency)));
    const record = queuedBuild(randomUUID(), taskId, requests.map((request) => request.text));
    this.store.create(record);
    this.waiting.push(record.id);
    this.pump();
    return record;
  }

  get(id: string): BuildRecord | undefined {
    return this.store.get(id);
  }

  /** Resolves when the build is done or failed. */
  settled(id: string): Promise<BuildRecord> {
    const record = this.store.get(id);
    if (!record) return Promise.reject(new Error(`no build ${id}`));
    if (record.state === 'done' || record.state === 'failed') return Promise.resolve(record);
    return new Promise((resolve) => this.finished.set(id, [...(this.finished.get(id) ?? []), resolve]));
  }

  /** Stops taking builds; the running ones finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.active > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    this.store.close();
  }

  private catalogue() {
    return readCatalogue(join(this.options.configRoot, CATALOGUE_FILE), CATALOGUE_FILE);
  }

  private pump(): void {
    while (!this.stopped && this.active < this.concurrency && this.waiting.length) {
      const id = this.waiting.shift()!;
      this.active += 1;
      void this.build(id).finally(() => {
        this.active -= 1;
        this.pump();
      });
    }
  }

  private async build(id: string): Promise<void> {
    const started = Date.now();
    const record = this.store.update(id, { state: 'building' });
    const print = (line: string) => this.store.appendLog(id, line);
    let settled: BuildRecord;
    try {
      settled = this.store.update(id, { ...(await this.buildTaskImage(record, print)), state: 'done', seconds: (Date.now() - started) / 1000 });
      print(`done: ${settled.image}`);
    } catch (error) {
      const tail = error instanceof BuildStepError && error.lastLines.length ? ` Last output: ${error.lastLines.slice(-5).join(' | ')}` : '';
      const reason = `${describeError(error)}${tail}`;
      print(`failed: ${reason}`);
      settled = this.store.update(id, { state: 'failed', error: reason, seconds: (Date.now() - started) / 1000 });
    }
    for (const resolve of this.finished.get(id) ?? []) resolve(settled);
    this.finished.delete(id);
  }

  private async buildTaskImage(record: BuildRecord, print: (line: string) => void): Promise<Partial<BuildRecord>> {
    // The catalogue and the base are read again: what was approved at request time must still be approved, and a
    // release of the base since the request is what the task gets.
    const set = approveCapabilities(this.catalogue(), parseCapabilityList(record.capabilities));
    const defaults = readTaskBuildDefaults(this.options.configRoot);
    if (!defaults) throw new UserError(`${TASK_BUILD_DEFAULTS_FILE} is missing in ${this.options.configRoot}: it names the base of every task image.`);
    const base = defaults.defaultBaseImage;
    const baseInRegistry = `${this.options.registry}/${base}`;
    const baseDigest = await registryTagDigest(baseInRegistry);
    if (!baseDigest) throw new UserError(`${baseInRegistry} is not in the registry: publish the base first (\`npx nx release publish --projects=agent-base\`).`);
    const key = capabilitySetKey(baseDigest, set, BUILDER_VERSION);
    this.store.update(record.id, { base_image: base, base_digest: baseDigest, capability_key: key });
    print(`base ${baseInRegistry}@${baseDigest}; capability key ${key}`);

    const { result, joined } = this.layers.run(key, () => this.layersImage(key, `${baseInRegistry.replace(/:[^:/]+$/, '')}@${baseDigest}`, set, print));
    if (joined) print(`capability layers ${key} are being built for another request: waiting for that build`);
    const layers = await result;

    const labels = {
      task_id: record.task_id,
      capabilities: set.labels.capabilities,
      'org.opencontainers.image.base.name': base,
      'org.opencontainers.image.base.digest': baseDigest,
      'org.opencontainers.image.created': sourceDate().toISOString(),
      'dev.taskforge.capability-key': key,
      'dev.taskforge.capabilities': record.capabilities.join(','),
      'dev.taskforge.build-id': record.id,
      'dev.taskforge.builder-version': BUILDER_VERSION,
    };
    const tag = `${this.options.registry}/${TASK_IMAGE_REPOSITORY}:${record.task_id}-${record.id.slice(0, 8)}`;
    const id = await this.buildFrom(`FROM ${layers.reference}\n`, {}, [tag], labels, `task image ${record.task_id}`, print);
    const pushed = await pushAs(this.docker, id, tag);
    const local = await inspectLocalImage(this.docker, id);
    return {
      layers: joined ? 'reused' : layers.outcome,
      image: `${this.options.registry}/${TASK_IMAGE_REPOSITORY}@${pushed.digest}`,
      image_tag: tag,
      size_bytes: local?.size ?? null,
    };
  }

  /** The capability layers of a set: from the engine or the registry when built before, built and shared otherwise. */
  private async layersImage(key: string, pinnedBase: string, set: ApprovedSet, print: (line: string) => void): Promise<LayersImage> {
    const local = `${this.options.layersRepository ?? LAYERS_REPOSITORY}:${contentTag(key)}`;
    const shared = `${this.options.registry}/${local}`;
    const reusable = await findReusableImage(this.docker, local, shared, print);
    if (reusable) {
      print(`capability layers reused from the ${reusable.source}: ${local}`);
      return { reference: local, outcome: 'reused' };
    }
    const build = renderTaskBuild(pinnedBase, set);
    print(`building capability layers ${local} FROM ${pinnedBase}`);
    const buildArgs: Record<string, string> = this.options.pipIndexUrl ? { PIP_INDEX_URL: this.options.pipIndexUrl } : {};
    const id = await this.buildFrom(build.dockerfile, build.files, [local], { 'dev.taskforge.capability-key': key }, `capability layers ${key.slice(0, 12)}`, print, buildArgs);
    await pushAs(this.docker, id, shared);
    print(`shared ${shared}`);
    return { reference: local, outcome: 'built' };
  }

  private async buildFrom(
    dockerfile: string,
    files: Record<string, string>,
    tags: string[],
    labels: Record<string, string>,
    displayName: string,
    print: (line: string) => void,
    buildArgs: Record<string, string> = {},
  ): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'task-image-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), dockerfile);
      for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
      return await buildImage(this.docker, {
        contextDir: dir,
        files: ['Dockerfile', ...Object.keys(files)],
        dockerfile: 'Dockerfile',
        tags,
        labels,
        buildArgs,
        networkMode: this.options.buildNetwork,
        displayName,
        print,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
