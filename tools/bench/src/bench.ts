import { buildImage, engineClient, importRootfs, inspectLocalImage } from '@taskforge/engine';
import { buildRootfsTarball } from '@taskforge/rootfs';
import { buildOrder, loadImageWorkspace } from '@taskforge/image-model';
import { ensureEngine } from '@taskforge/engine-setup';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFixtureWorkspace, type FixtureImage, type FixtureWorkspace, removeImagesNamed, REPO_ROOT } from '@taskforge/testing';
import { benchAgentRuntime } from './agent-runtime-bench';
import { benchEngine } from './bench-engine';
import { benchFreshMachine } from './fresh-machine-bench';
import { benchImageBuilder } from './image-builder-bench';
import { printImageSizeChange } from './image-size-change';
import { benchRelease } from './release-bench';
import { benchSupplyChain } from './supply-chain-bench';
import { interleavedMedians, timed } from './measure';
import { repoImagesUnderFreshNames } from './repo-images-copy';
import { ResultsTable } from './results-table';
import { workGraph } from './work-graph';

const NX = join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js');
// CI's setting: no daemon, so every command pays Nx's full start-up and the ratio is the honest one.
const NX_ENV = { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', CI: 'true' };
const nx = (cwd: string, ...args: string[]) => timed(process.execPath, [NX, ...args], cwd, NX_ENV);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const log = (line: string) => console.error(`[bench] ${line}`);
const s = (seconds: number) => `${seconds.toFixed(2)} s`;
const table = new ResultsTable(log);
const row = table.ratio.bind(table);

/** No-change run-many against `nx show projects` in a workspace where everything is built. */
function noChangeRatio(label: string, cwd: string) {
  nx(cwd, 'run-many', '-t', 'build-image');
  nx(cwd, 'run-many', '-t', 'build-image');
  const [run, show] = interleavedMedians(ROUNDS, [() => nx(cwd, 'run-many', '-t', 'build-image'), () => nx(cwd, 'show', 'projects')]);
  row(`no-change run-many -t build-image vs nx show projects (${label})`, `${s(run)} vs ${s(show)}`, run / show, '<= 1.15x', run / show <= 1.15);
}

function repoImageCount(): number {
  return 2 + readdirSync(join(REPO_ROOT, 'images/variants')).length;
}

/** Many images with large build contexts: the no-change cost must not grow with them. */
function wideGraph(): FixtureWorkspace {
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i += 1) files[`src/module_${i}.py`] = `# module ${i}\n${'x = 1\n'.repeat(200)}`;
  const images: FixtureImage[] = [{ dir: 'images/base', short: 'base', dockerfile: 'FROM scratch\nCOPY src /src\n', files }];
  for (let i = 1; i <= 11; i += 1) {
    images.push({ dir: `images/variants/v${i}`, short: `v${i}`, dockerfile: `FROM {{image:base}}:1.0.0\nCOPY src /v${i}\n`, files });
  }
  return createFixtureWorkspace({ images });
}

/**
 * A fresh machine for a workspace built before: its content tags shared to the
 * registry, then an empty engine (for its images) and Nx cache. Seconds of the
 * run-many that follows; it must reuse, never build.
 */
async function freshMachineSeconds(fixture: FixtureWorkspace): Promise<number> {
  nx(fixture.root, 'run-many', '-t', 'share-image');
  await removeImagesNamed(`fx-${fixture.suffix}-`);
  nx(fixture.root, 'reset');
  pruneBuildCache();
  const fresh = nx(fixture.root, 'run-many', '-t', 'build-image', '--parallel=3');
  if (/\] built: /.test(fresh.output)) throw new Error('the fresh-machine run built an image instead of reusing it from the registry');
  return fresh.seconds;
}

function pruneBuildCache() {
  timed('docker', ['builder', 'prune', '-af'], REPO_ROOT);
}

/**
 * Plain builds of a workspace's images, one after the other in graph order:
 * what `docker build` does (the engine's BuildKit build, tag), mmdebstrap +
 * import for a root image; no keys, no reuse, no registry.
 */
async function plainBuildsInSequence(copy: FixtureWorkspace): Promise<number> {
  const docker = engineClient();
  const definitions = readdirSync(join(copy.root, 'images'), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('image.json'))
    .map((file) => `images/${file}`);
  const workspace = loadImageWorkspace(copy.root, definitions, { registry: 'localhost:5000', inRepoPrefixes: ['fx-'] });
  const started = process.hrtime.bigint();
  for (const image of buildOrder(workspace)) {
    const reference = `${image.definition.name}:${image.version}`;
    if (image.definition.rootfs) {
      const dir = mkdtempSync(join(tmpdir(), 'plain-rootfs-'));
      await buildRootfsTarball(image.definition.rootfs, join(dir, 'rootfs.tar'), () => undefined);
      await importRootfs(docker, { tarball: join(dir, 'rootfs.tar'), reference, changes: [] });
      rmSync(dir, { recursive: true, force: true });
    } else {
      await buildImage(docker, {
        contextDir: join(copy.root, image.root),
        files: image.contextFiles,
        dockerfile: image.definition.dockerfile,
        tags: [reference],
        labels: {},
        buildArgs: image.definition.buildArgs,
        displayName: image.project,
        print: () => undefined,
      });
    }
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

// BENCH_ONLY=no-change,work-graph,fresh-machine,sizes,size-change,cold-all,agent,release,image-builder,supply-chain picks sections (all by default).
const SECTIONS = new Set((process.env.BENCH_ONLY ?? 'no-change,work-graph,fresh-machine,sizes,size-change,cold-all,agent,release,image-builder,supply-chain').split(','));

async function main() {
  await ensureEngine(log);
  const engine = await benchEngine(process.argv.slice(2), SECTIONS, log);
  const docker = engineClient();
  const on = engine.nested ? `, Docker ${engine.name}` : '';

  if (SECTIONS.has('no-change')) {
    // This repo's own graph is measured on the host engine only: building its seven images on a nested engine first
    // would take most of the run; the wide graph measures the same no-change path there.
    if (!engine.nested) {
      log('the repo graph, built and settled');
      nx(REPO_ROOT, 'run-many', '-t', 'build-image');
      noChangeRatio(`this repo, ${repoImageCount()} images`, REPO_ROOT);
    }

    log('a wide graph: 12 images, 300 context files each');
    const wide = wideGraph();
    try {
      noChangeRatio(`12 images x 300 context files${on}`, wide.root);
    } finally {
      await removeImagesNamed(`fx-${wide.suffix}-`);
      wide.remove();
    }
  }

  if (SECTIONS.has('work-graph')) await benchWorkGraph(on);
  if (SECTIONS.has('fresh-machine')) await benchFreshMachine(table, log, ROUNDS);
  if (SECTIONS.has('sizes')) await benchSizes(docker);
  if (SECTIONS.has('size-change')) await printImageSizeChange(docker, log);
  if (SECTIONS.has('cold-all')) await benchColdAll();
  if (SECTIONS.has('agent')) {
    log('the agent runtime in running containers');
    await benchAgentRuntime(table, ROUNDS, engine.harness, on);
  }

  if (SECTIONS.has('release')) await benchRelease(table, log);
  if (SECTIONS.has('image-builder')) await benchImageBuilder(table, log);
  if (SECTIONS.has('supply-chain')) await benchSupplyChain(table, log);

  console.log(table.toMarkdown());
  console.log(`(medians of ${ROUNDS} interleaved rounds where repeated; Nx daemon off as in CI; ${new Date().toISOString()})`);
}

async function benchWorkGraph(on: string) {
  const runtimeVersion = readFileSync(join(REPO_ROOT, 'images/python-runtime/VERSION'), 'utf8').trim();
  const graph = workGraph(`openclaw-python:${runtimeVersion}`);
  log('cold: plain docker build in sequence');
  const plain = createFixtureWorkspace({ images: graph });
  const ours = createFixtureWorkspace({ images: graph });
  try {
    pruneBuildCache();
    const plainSeconds = await plainBuildsInSequence(plain);
    log('cold: nx run-many -t build-image --parallel=3');
    pruneBuildCache();
    const cold = nx(ours.root, 'run-many', '-t', 'build-image', '--parallel=3').seconds;
    row(`cold run-many -t build-image (1 base + 3 variants) vs plain builds in sequence${on}`, `${s(cold)} vs ${s(plainSeconds)}`, cold / plainSeconds, '<= 1.0x', cold / plainSeconds <= 1.0);

    log('fresh machine: empty engine and Nx cache, registry holding the content tags');
    const fresh = await freshMachineSeconds(ours);
    row(`fresh machine (images from the registry) vs cold build${on}`, `${s(fresh)} vs ${s(cold)}`, cold / fresh, '>= 5x', cold / fresh >= 5);
  } finally {
    for (const fixture of [plain, ours]) {
      await removeImagesNamed(`fx-${fixture.suffix}-`);
      fixture.remove();
    }
  }

}

async function benchSizes(docker: ReturnType<typeof engineClient>) {
  log('image sizes of this repo');
  nx(REPO_ROOT, 'run-many', '-t', 'build-image');
  const sizeOf = async (dir: string) => {
    const name = JSON.parse(readFileSync(join(REPO_ROOT, dir, 'image.json'), 'utf8')).name as string;
    const version = readFileSync(join(REPO_ROOT, dir, 'VERSION'), 'utf8').trim();
    return { reference: `${name}:${version}`, mb: ((await inspectLocalImage(docker, `${name}:${version}`))?.size ?? 0) / 1e6 };
  };
  const runtime = await sizeOf('images/python-runtime');
  table.record(`image size ${runtime.reference}`, `${runtime.mb.toFixed(1)} MB`);
  const base = await sizeOf('images/base');
  row(`image size ${base.reference} vs the 130 MB goal`, `${base.mb.toFixed(1)} MB`, base.mb / 130, '<= 1.0x', base.mb <= 130);
  for (const variant of readdirSync(join(REPO_ROOT, 'images/variants')).sort()) {
    const size = await sizeOf(`images/variants/${variant}`);
    table.record(`image size ${size.reference} (adds over the base)`, `${size.mb.toFixed(1)} MB (+${(size.mb - base.mb).toFixed(1)} MB)`);
  }

}

async function benchColdAll() {
  log('cold build of every image of this repo under fresh names: plain builds in sequence');
  const plainCopy = repoImagesUnderFreshNames();
  let plainSeconds: number;
  try {
    pruneBuildCache();
    plainSeconds = await plainBuildsInSequence(plainCopy);
    log(`plain, in sequence: ${s(plainSeconds)}`);
  } finally {
    await removeImagesNamed(`fx-${plainCopy.suffix}-`);
    plainCopy.remove();
  }
  log('the same under Nx: --parallel=1, then --parallel=3');
  const seconds: Record<number, number> = {};
  for (const parallel of [1, 3]) {
    const copy = repoImagesUnderFreshNames();
    try {
      pruneBuildCache();
      seconds[parallel] = nx(copy.root, 'run-many', '-t', 'build-image', `--parallel=${parallel}`).seconds;
      log(`--parallel=${parallel}: ${s(seconds[parallel])}`);
      if (parallel === 3) {
        log('the same images on a fresh machine: empty engine and Nx cache, registry holding the content tags');
        const fresh = await freshMachineSeconds(copy);
        row(`fresh machine vs cold build, all ${repoImageCount()} images of this repo (--parallel=3)`, `${s(fresh)} vs ${s(seconds[3])}`, seconds[3] / fresh, '>= 5x', seconds[3] / fresh >= 5);
      }
    } finally {
      await removeImagesNamed(`fx-${copy.suffix}-`);
      copy.remove();
    }
  }
  table.record(`cold build of all ${repoImageCount()} images: --parallel=3 vs --parallel=1`, `${s(seconds[3])} vs ${s(seconds[1])} (${(seconds[1] / seconds[3]).toFixed(2)}x faster)`);
  row(`cold run-many -t build-image --parallel=3 vs plain builds in sequence, all ${repoImageCount()} images of this repo`, `${s(seconds[3])} vs ${s(plainSeconds)}`, seconds[3] / plainSeconds, '<= 1.0x', seconds[3] / plainSeconds <= 1.0);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
