import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildStepError, buildImage, engineClient, pushAs, registryTagDigest } from '@taskforge/engine';
import { contentTag, findReusableImage } from '@taskforge/image-build';
import { readTaskBuildDefaults, sourceDate, TASK_BUILD_DEFAULTS_FILE } from '@taskforge/image-model';
import { approveCapabilities, capabilitySetKey, CATALOGUE_FILE, parseCapabilityList, parseTaskId, readCatalogue, renderTaskBuild, RequestRefused, type ApprovedSet } from '@taskforge/task-images';
import { describeError, UserError } from '@taskforge/user-errors';
import { queuedBuild, type BuildRecord } from './build-record';
import type { BuildPatch, BuildStore } from './build-store';
import { openBuildStore } from './open-build-store';
import { TaskImageSboms } from './task-image-sbom';

/** Part of every capability key: a builder that renders differently must not reuse layers an older one built. */
export const BUILDER_VERSION = '2';

/** The repository task images are pushed to, and the one their capability layers are shared through. */
export const TASK_IMAGE_REPOSITORY = 'openclaw-task';
export const LAYERS_REPOSITORY = 'openclaw-task-layers';

export interface TaskImageBuilderOptions {
  /** Where config/capabilities.json and config/task-builds.json are read, at every build (a release moves the base without a restart). */
  configRoot: string;
  /** Where the build records live without a database URL (SQLite file `image-builder.db`). */
  dataDir: string;
  /** PostgreSQL shared by several replicas (`postgres://user:password@host:port/db`); SQLite under dataDir when unset. */
  databaseUrl?: string;
  /** Registry the base is resolved in and task images are pushed to, e.g. `localhost:5000`. */
  registry: string;
  /** The Python package index pip installs from (PEP 503; a company mirror in real use). */
  pipIndexUrl?: string;
  /** The network RUN steps use; `host` when the package index listens on this machine's loopback. */
  buildNetwork?: 'default' | 'host';
  /** Where the capability layers of each set are kept and shared through the registry (default openclaw-task-layers). */
  layersRepository?: string;
  /** Builds at a time in this replica (default 2) and builds waiting at most across replicas (default 100; beyond it, 429). */
  concurrency?: number;
  queueLimit?: number;
  /** How long a replica's claim on a build lasts without renewal (default 30 s): a dead replica's build goes to another after it. */
  leaseMs?: number;
  /** How often an idle replica looks for queued builds, including ones another replica accepted (default 1 s). */
  pollMs?: number;
  /** The engine builds run on; DOCKER_HOST's (a remote engine or BuildKit host) by default. */
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Task images from approved capabilities, FROM the released base pinned by
 * digest. The capability layers of a set are built once (under the store's
 * lock for the set, then reused from the engine or the registry by their
 * content key); each task gets its own image on top, which differs only in
 * its labels. Builds are queued in the store: any replica sharing it may
 * claim one, and a replica that dies leaves its build to the next claim.
 */
export class TaskImageBuilder {
  readonly store: BuildStore;
  /** This process among the replicas sharing the store. */
  readonly replica = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  /** What start() took up again: builds a previous process left unfinished. */
  resumedAtStart: BuildRecord[] = [];
  private readonly docker: Docker;
  /** The SBOM of each capability set this process built or reused, which every task image of the set gets. */
  private readonly sboms: TaskImageSboms;
  private active = 0;
  private claiming = false;
  private stopped = false;
  private poller: NodeJS.Timeout | undefined;
  /** Emits a build's id when this replica has recorded its final state. */
  private readonly finished = new EventEmitter().setMaxListeners(0);

  constructor(private readonly options: TaskImageBuilderOptions) {
    this.store = openBuildStore(options);
    this.docker = options.docker ?? engineClient();
    this.sboms = new TaskImageSboms(this.docker);
  }

  private get concurrency(): number {
    return this.options.concurrency ?? 2;
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? 30_000;
  }

  /**
   * Opens the store and starts taking builds. On a store of its own, builds a
   * previous process left building go back to the queue first; on a shared
   * one, their leases say when another replica may take them over.
   */
  async start(): Promise<BuildRecord[]> {
    await this.store.open();
    const orphans = this.store.exclusive ? await this.store.requeueOrphans() : [];
    for (const build of orphans) await this.store.appendLog(build.id, 'the image-builder restarted during this build: building it again');
    this.resumedAtStart = orphans;
    this.poller = setInterval(() => this.pump(), this.options.pollMs ?? 1000);
    this.poller.unref();
    this.pump();
    return orphans;
  }

  /**
   * Checks a request (`{task_id, capabilities}`) against the grammar and the
   * catalogue and queues its build. RequestRefused (400/403) or QueueFull
   * (429) before anything is recorded or built.
   */
  async submit(body: unknown): Promise<BuildRecord> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RequestRefused(400, 'the body must be a JSON object {"task_id": "...", "capabilities": ["..."]}');
    const { task_id: taskIdValue, capabilities: capabilitiesValue, ...rest } = body as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length) throw new RequestRefused(400, `unknown field ${JSON.stringify(extra[0].slice(0, 40))}; the body has only task_id and capabilities`);
    const taskId = parseTaskId(taskIdValue);
    const requests = parseCapabilityList(capabilitiesValue);
    approveCapabilities(this.catalogue(), requests);
    const waiting = await this.store.countInState('queued');
    if (waiting >= (this.options.queueLimit ?? 100)) throw new QueueFull(Math.max(1, Math.ceil(waiting / this.concurrency)));
    const record = queuedBuild(randomUUID(), taskId, requests.map((request) => request.text));
    await this.store.create(record);
    this.pump();
    return record;
  }

  get(id: string): Promise<BuildRecord | undefined> {
    return this.store.get(id);
  }

  /** Resolves when the build is done or failed, whichever replica builds it: at once for this replica's builds, by polling for others'. */
  async settled(id: string): Promise<BuildRecord> {
    for (;;) {
      const record = await this.store.get(id);
      if (!record) throw new Error(`no build ${id}`);
      if (record.state === 'done' || record.state === 'failed') return record;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.finished.off(id, wake);
          resolve();
        };
        const timer = setTimeout(wake, 250);
        this.finished.on(id, wake);
      });
    }
  }

  /** Stops taking builds; the running ones finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poller);
    while (this.active > 0 || this.claiming) await sleep(50);
    await this.store.close();
  }

  private catalogue() {
    return readCatalogue(join(this.options.configRoot, CATALOGUE_FILE), CATALOGUE_FILE);
  }

  /** Claims queued builds while this replica has room; one claim loop at a time. */
  private pump(): void {
    if (this.claiming || this.stopped) return;
    this.claiming = true;
    void (async () => {
      try {
        while (!this.stopped && this.active < this.concurrency) {
          const claimed = await this.store.claim(this.replica, this.leaseMs);
          if (!claimed) break;
          this.active += 1;
          void this.build(claimed.record, claimed.takenOver).finally(() => {
            this.active -= 1;
            this.pump();
          });
        }
      } catch (error) {
        // The store is unreachable for now (a database restart): the next poll tries again.
        console.error(`[image-builder] cannot take builds from the store: ${describeError(error)}`);
      } finally {
        this.claiming = false;
      }
    })();
  }

  private async build(record: BuildRecord, takenOver: boolean): Promise<void> {
    const started = Date.now();
    const id = record.id;
    // Log lines are written one after another, in order, and all are written before the build's final state.
    let logged = Promise.resolve();
    const print = (line: string) => {
      logged = logged.then(() => this.store.appendLog(id, line)).catch(() => undefined);
    };
    if (takenOver) print('the replica building this stopped answering (its lease ran out): building it again');
    // The lease says this replica is alive; without renewals another replica takes the build over.
    const heartbeat = setInterval(() => void this.store.renewLease(id, this.replica, this.leaseMs).catch(() => undefined), Math.max(100, this.leaseMs / 3));
    let outcome: BuildPatch;
    try {
      const result = await this.buildTaskImage(record, print);
      print(`done: ${result.image}`);
      outcome = { ...result, state: 'done' };
    } catch (error) {
      const tail = error instanceof BuildStepError && error.lastLines.length ? ` Last output: ${error.lastLines.slice(-5).join(' | ')}` : '';
      const reason = `${describeError(error)}${tail}`;
      print(`failed: ${reason}`);
      outcome = { state: 'failed', error: reason };
    }
    try {
      await logged;
      await this.store.update(id, { ...outcome, seconds: (Date.now() - started) / 1000 }, this.replica);
      this.finished.emit(id);
    } catch (error) {
      // The result could not be recorded: the lease runs out and a replica builds it again.
      console.error(`[image-builder] build ${id}: cannot record its result: ${describeError(error)}`);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async buildTaskImage(record: BuildRecord, print: (line: string) => void): Promise<BuildPatch & { image: string }> {
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
    await this.store.update(record.id, { base_image: base, base_digest: baseDigest, capability_key: key }, this.replica);
    print(`base ${baseInRegistry}@${baseDigest}; capability key ${key}`);

    // One build of a set across all replicas: whoever takes the lock second finds the layers and reuses them.
    const layers = await this.store.withLock(key, () => this.layersImage(key, `${baseInRegistry.replace(/:[^:/]+$/, '')}@${baseDigest}`, set, print));
    // Read once per set while the task image builds: the task image has exactly the layers image's files.
    const setSbom = this.sboms.forCapabilitySet(key, layers.reference);

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
    const [pushed, local] = await Promise.all([pushAs(this.docker, id, tag), this.docker.getImage(id).inspect()]);
    const sbom = await this.sboms.attach(await setSbom, {
      registry: this.options.registry,
      repository: TASK_IMAGE_REPOSITORY,
      tag,
      digest: pushed.digest,
      imageId: local.Id,
      architecture: local.Architecture,
      labels: local.Config?.Labels ?? {},
    });
    print(`SBOM attached: ${sbom}`);
    return {
      layers: layers.outcome,
      image: `${this.options.registry}/${TASK_IMAGE_REPOSITORY}@${pushed.digest}`,
      image_tag: tag,
      size_bytes: local.Size ?? null,
      sbom,
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
