import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineClient, removeImage } from '@taskforge/engine';
import { createFixtureWorkspace, type FixtureWorkspace, removeImagesNamed, REPO_ROOT, startScratchRegistry, type ScratchRegistry } from '@taskforge/testing';
import { median, timed } from './measure';
import { startPrivateEngine, type PrivateEngine } from './private-engine';
import type { ResultsTable } from './results-table';
import { workGraph } from './work-graph';

const NX = join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js');
const NX_ENV = { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', CI: 'true', FORCE_COLOR: '0' };
const PARALLEL = 3;
/** This section's registry: the content tags it shares live there, apart from everyone else's. */
const REGISTRY_PORT = 5331;
const s = (seconds: number) => `${seconds.toFixed(2)} s`;

interface SharedImage {
  project: string;
  /** registry/NAME:ck-<key>: what a fresh machine pulls. */
  contentTag: string;
}

interface Round {
  fresh: number;
  pull: number;
  noOp: number;
  /** Seconds from the start of the fresh run until the first executor began its work, and the gaps between a parent's end and a child's start. */
  firstTaskAt: number;
  handOffs: number[];
}

/**
 * A fresh machine against what it cannot do better than: a plain `docker pull`
 * of the same content tags, as many at a time as Nx runs tasks, plus Nx's own
 * start-up (a run of the same tasks that Nx replays from its cache). The fresh
 * machine is an engine of the benchmark's own that starts every round empty
 * (see private-engine.ts), with a workspace without .nx or dist, so neither
 * Nx's cache nor the plugin's file hashes carry over; the registry holds the
 * content tags, shared by a build on the shared engine beforehand.
 */
export async function benchFreshMachine(table: ResultsTable, log: (line: string) => void, rounds: number): Promise<void> {
  const registry = await startScratchRegistry(REGISTRY_PORT);
  try {
    await syntheticGraph(table, log, rounds, registry);
    // Each round pulls the repo's whole graph twice (Nx, then docker pull): three are enough for a median.
    await repoGraph(table, log, Math.min(rounds, 3), registry);
  } finally {
    await registry.remove();
    await untagRegistryCopies(registry.address);
  }
}

/** Runs `body` on a fresh machine that pulls from `registry`: its server moves into the machine's network namespace meanwhile. */
async function onFreshMachine(registry: ScratchRegistry, body: (engine: PrivateEngine) => Promise<void>): Promise<void> {
  await registry.stop();
  const engine = await startPrivateEngine(join(registry.dir, 'config.yml'), `127.0.0.1:${REGISTRY_PORT}`);
  try {
    await body(engine);
  } finally {
    await engine.stop();
    await registry.start();
  }
}

/** The work graph (a base FROM the repo's Python runtime and three variants), its runtime already on the machine as in the work-graph section. */
async function syntheticGraph(table: ResultsTable, log: (line: string) => void, rounds: number, registry: ScratchRegistry) {
  const runtime = `openclaw-python:${readFileSync(join(REPO_ROOT, 'images/python-runtime/VERSION'), 'utf8').trim()}`;
  const fixture = createFixtureWorkspace({ images: workGraph(runtime), registry: registry.address });
  try {
    log('fresh machine, synthetic graph: build on the shared engine and share the content tags');
    const shared = shareContentTags(fixture);
    await removeImagesNamed(`fx-${fixture.suffix}-`);
    await onFreshMachine(registry, async (engine) => {
      // Same image ID as on the shared engine, so the base's outside parent keys alike on both.
      copyImage(runtime, engine);
      await measure(table, log, rounds, 'synthetic graph (1 base + 3 variants)', fixture.root, shared, engine, [runtime]);
    });
  } finally {
    await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture.remove();
  }
}

/**
 * This repo's images, copied under their own names into a workspace whose
 * registry is this section's: the shared engine already holds them (built by
 * `npm test` or the sizes section), so sharing their content tags reuses them.
 */
async function repoGraph(table: ResultsTable, log: (line: string) => void, rounds: number, registry: ScratchRegistry) {
  const copy = createFixtureWorkspace({ images: [], registry: registry.address });
  try {
    cpSync(join(REPO_ROOT, 'images'), join(copy.root, 'images'), { recursive: true, filter: (source) => !/\/(node_modules|__pycache__)(\/|$)/.test(source) });
    const nxJson = JSON.parse(copy.read('nx.json'));
    const repoOptions = JSON.parse(readFileSync(join(REPO_ROOT, 'nx.json'), 'utf8')).plugins.find((plugin: { plugin: string }) => plugin.plugin === '@taskforge/nx-images').options;
    nxJson.plugins[0].options = { ...repoOptions, registry: registry.address };
    writeFileSync(join(copy.root, 'nx.json'), `${JSON.stringify(nxJson, null, 2)}\n`);
    log("fresh machine, this repo's graph: share the content tags of the images the shared engine holds");
    const shared = shareContentTags(copy);
    await onFreshMachine(registry, (engine) => measure(table, log, rounds, `this repo's graph (${shared.length} images)`, copy.root, shared, engine, []));
  } finally {
    copy.remove();
  }
}

/** Builds (or reuses) every image of the workspace on the shared engine and pushes its content tag. */
function shareContentTags(fixture: FixtureWorkspace): SharedImage[] {
  nxIn(fixture.root, {}, 'run-many', '-t', 'share-image', `--parallel=${PARALLEL}`);
  const nxJson = JSON.parse(fixture.read('nx.json'));
  const registry = nxJson.plugins[0].options.registry as string;
  return readdirSync(join(fixture.root, 'dist/images')).map((project) => {
    // NAME:ck-<key> is among the tags build-image records.
    const contentTag = fixture.record(project)!.tags.find((tag) => tag.includes(':ck-'))!;
    return { project, contentTag: `${registry}/${contentTag}` };
  });
}

async function measure(table: ResultsTable, log: (line: string) => void, rounds: number, label: string, root: string, shared: SharedImage[], engine: PrivateEngine, keep: string[]) {
  const env = { DOCKER_HOST: engine.host };
  const results: Round[] = [];
  for (let round = 0; round < rounds; round += 1) {
    engine.removeImagesExcept(keep);
    rmSync(join(root, '.nx'), { recursive: true, force: true });
    rmSync(join(root, 'dist'), { recursive: true, force: true });
    const started = Date.now();
    const fresh = nxIn(root, env, 'run-many', '-t', 'build-image', `--parallel=${PARALLEL}`);
    const timing = executorTimeline(root, shared, started);
    // Until every task is a cache hit: the first run after a reuse confirms the image (its ID is now hashed).
    for (let settle = 0; settle < 3 && !allFromCache(nxIn(root, env, 'run-many', '-t', 'build-image', `--parallel=${PARALLEL}`).output); settle += 1);
    const noOp = nxIn(root, env, 'run-many', '-t', 'build-image', `--parallel=${PARALLEL}`);
    if (!allFromCache(noOp.output)) throw new Error(`${label}: the no-op run ran tasks:\n${noOp.output.slice(-3000)}`);
    engine.removeImagesExcept(keep);
    const pull = await pullInParallel(engine, shared.map((image) => image.contentTag), PARALLEL);
    results.push({ fresh: fresh.seconds, noOp: noOp.seconds, pull, ...timing });
    const last = results[results.length - 1];
    log(`round ${round + 1}: fresh ${s(last.fresh)}, docker pull ${s(last.pull)}, no-op ${s(last.noOp)} (${(last.fresh / (last.pull + last.noOp)).toFixed(2)}x); first executor at +${s(last.firstTaskAt)}, parent-to-child hand-offs ${last.handOffs.map(s).join(', ') || '-'}`);
  }
  const fresh = median(results.map((r) => r.fresh));
  const pull = median(results.map((r) => r.pull));
  const noOp = median(results.map((r) => r.noOp));
  const ratio = fresh / (pull + noOp);
  table.ratio(
    `fresh machine, ${label}: run-many -t build-image vs docker pull of the content tags (${PARALLEL} at a time) + no-op run-many`,
    `${s(fresh)} vs ${s(pull)} + ${s(noOp)}`,
    ratio,
    '<= 1.3x',
    ratio <= 1.3,
  );
  table.record(
    `fresh machine, ${label}: where the time goes`,
    `first executor at +${s(median(results.map((r) => r.firstTaskAt)))}; parent done to child started ${s(median(results.flatMap((r) => r.handOffs)))} (medians)`,
  );
}

function nxIn(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  return timed(process.execPath, [NX, ...args], cwd, { ...NX_ENV, ...env });
}

function allFromCache(output: string): boolean {
  const match = /from the cache instead of running the command for (\d+) out of (\d+) tasks/.exec(output);
  return !!match && match[1] === match[2];
}

/**
 * When each executor began and ended its own work (its build-image record),
 * against when the run started; throws unless every image was reused from
 * the registry, as a fresh machine must.
 */
function executorTimeline(root: string, shared: SharedImage[], runStarted: number): Pick<Round, 'firstTaskAt' | 'handOffs'> {
  const records = shared.map(({ project }) => {
    const file = join(root, 'dist/images', project, 'build-image.json');
    if (!existsSync(file)) throw new Error(`no build-image record of ${project} after the fresh-machine run`);
    return JSON.parse(readFileSync(file, 'utf8')) as { project: string; outcome: string; startedAt: string; finishedAt: string };
  });
  const notReused = records.filter((record) => record.outcome !== 'reused from registry');
  if (notReused.length) throw new Error(`the fresh-machine run did not reuse from the registry: ${notReused.map((r) => `${r.project} ${r.outcome}`).join(', ')}`);
  const at = (iso: string) => (Date.parse(iso) - runStarted) / 1000;
  const starts = records.map((record) => at(record.startedAt)).sort((a, b) => a - b);
  const ends = records.map((record) => at(record.finishedAt));
  // A task that started after another ended waited for it (its parent, or a free slot): the gap is Nx's hand-off plus the executor's start-up.
  const handOffs = starts.slice(1).flatMap((start) => {
    const before = ends.filter((end) => end <= start);
    return before.length ? [start - Math.max(...before)] : [];
  });
  return { firstTaskAt: starts[0], handOffs };
}

/** Pulls with the docker CLI, `parallel` at a time; seconds for all. */
async function pullInParallel(engine: PrivateEngine, references: string[], parallel: number): Promise<number> {
  const started = process.hrtime.bigint();
  const queue = [...references];
  const pull = (reference: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('docker', ['pull', '-q', reference], { env: { ...process.env, DOCKER_HOST: engine.host }, stdio: ['ignore', 'ignore', 'pipe'] });
      let errors = '';
      child.stderr.on('data', (chunk) => (errors += chunk));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker pull ${reference}: ${errors}`))));
    });
  const worker = async () => {
    for (let reference = queue.shift(); reference; reference = queue.shift()) await pull(reference);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function copyImage(reference: string, engine: PrivateEngine) {
  const result = spawnSync('sh', ['-c', `docker save "$0" | DOCKER_HOST="$1" docker load -q`, reference, engine.host], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`copying ${reference} to the private engine failed: ${result.stderr}`);
}

/** The registry tags sharing left on the shared engine: this section's own (untagged only; each image keeps its other tags). */
async function untagRegistryCopies(registry: string) {
  const docker = engineClient();
  for (const image of await docker.listImages()) {
    for (const tag of image.RepoTags ?? []) if (tag.startsWith(`${registry}/`)) await removeImage(docker, tag);
  }
}
