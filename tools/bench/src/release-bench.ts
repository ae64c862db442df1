import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureSigningEnv, removeImagesNamed, REPO_ROOT, startScratchRegistry } from '@taskforge/testing';
import { timed } from './measure';
import { repoImagesUnderFreshNames } from './repo-images-copy';
import type { ResultsTable } from './results-table';

const NX = join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js');
// A release publishes nothing without a signing key: the bench signs with a key of its own.
const NX_ENV = { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', CI: 'true', FORCE_COLOR: '0', ...fixtureSigningEnv() };
const s = (seconds: number) => `${seconds.toFixed(1)} s`;

/** Sums the `publish phases:` lines publish prints per image. */
function publishPhases(output: string): Record<'build' | 'checks' | 'push', number> {
  const totals = { build: 0, checks: 0, push: 0 };
  for (const match of output.matchAll(/publish phases: build ([\d.]+)s, checks ([\d.]+)s, push ([\d.]+)s/g)) {
    totals.build += Number(match[1]);
    totals.checks += Number(match[2]);
    totals.push += Number(match[3]);
  }
  return totals;
}

/**
 * `nx release` over a copy of this repo's images (fresh names, a registry of
 * its own): the dry run over the whole graph, and a real release after a fix
 * on the base, which bumps the base and every variant and publishes them.
 * The engine holds the 1.0.0 builds, as on a developer's machine.
 */
export async function benchRelease(table: ResultsTable, log: (line: string) => void): Promise<void> {
  const copy = repoImagesUnderFreshNames();
  const registry = await startScratchRegistry(5073);
  const nx = (...args: string[]) => timed(process.execPath, [NX, ...args], copy.root, NX_ENV);
  try {
    const nxJson = JSON.parse(copy.read('nx.json'));
    nxJson.plugins[0].options.registry = registry.address;
    nxJson.release = JSON.parse(readFileSync(join(REPO_ROOT, 'nx.json'), 'utf8')).release;
    writeFileSync(join(copy.root, 'nx.json'), `${JSON.stringify(nxJson, null, 2)}\n`);
    copy.write('config/task-builds.json', `${JSON.stringify({ defaultBaseImage: `${copy.image('base')}:1.0.0` }, null, 2)}\n`);
    for (const args of [['init', '-q', '-b', 'main'], ['config', 'user.name', 'bench'], ['config', 'user.email', 'bench@localhost'], ['add', '-A'], ['commit', '-qm', 'chore: images at 1.0.0']]) copy.git(args);

    log('release bench: first release tags (release-tag) and the 1.0.0 builds');
    nx('run-many', '-t', 'release-tag');
    nx('run-many', '-t', 'build-image', '--parallel=3');

    // Unique each run, so no BuildKit cache of an earlier run stands in for the rebuilds a real fix causes.
    copy.write('images/base/agent/health.py', `${copy.read('images/base/agent/health.py')}\n# bench: a fix in the runtime (${Date.now()})\n`);
    copy.git(['commit', '-qam', 'fix(agent-base): a fix in the runtime']);

    log('release bench: nx release --dry-run over the whole graph');
    const dry = nx('release', '--dry-run');
    const bumped = (dry.output.match(/New version \S+ written to/g) ?? []).length;
    table.record(`nx release --dry-run, whole graph (${bumped} images bumped by a fix on agent-base)`, s(dry.seconds));

    // The same as one `nx release --yes`, split where the release logic ends and publishing begins.
    log('release bench: nx release --skip-publish (version, changelogs, commit, tags)');
    const logic = nx('release', '--skip-publish');
    log('release bench: nx release publish (build, checks, push; parents first, 3 in parallel)');
    const publish = nx('release', 'publish');
    const phases = publishPhases(publish.output);
    const total = logic.seconds + publish.seconds;
    const share = (seconds: number) => `${((seconds / total) * 100).toFixed(0)}%`;
    table.record(
      `nx release after a fix on agent-base: base + ${bumped - 1} variants bumped and published`,
      `${s(total)}: release logic ${s(logic.seconds)} (${share(logic.seconds)}), publish ${s(publish.seconds)} (${share(publish.seconds)}); per image, summed over parallel tasks: builds ${s(phases.build)}, checks ${s(phases.checks)}, pushes ${s(phases.push)}`,
    );
  } finally {
    await registry.remove();
    await removeImagesNamed(`fx-${copy.suffix}-`);
    copy.remove();
  }
}
