import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, engineClient, pushAs } from '@taskforge/engine';
import { TaskImageBuilder } from '@taskforge/image-builder-server';
import { repoImage, startScratchRegistry } from '@taskforge/testing';
import { median } from './measure';
import type { ResultsTable } from './results-table';

const s = (seconds: number) => `${seconds.toFixed(2)} s`;

/**
 * The image-builder in-process against a registry of its own where the base
 * is released: a task whose capability set was built before (request to
 * pushed, labelled image), 50 concurrent identical requests, and the first
 * build of one small Debian package against a plain build of the same
 * Dockerfile in the same run.
 */
export async function benchImageBuilder(table: ResultsTable, log: (line: string) => void): Promise<void> {
  const docker = engineClient();
  const base = await repoImage('agent-base');
  const registry = await startScratchRegistry(5075);
  const configRoot = mkdtempSync(join(tmpdir(), 'bench-image-builder-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-image-builder-data-'));
  const fresh = ['bc', 'tree', 'units', 'pv'];
  try {
    // A base of this run's own (the repo's base plus one file): a new digest, so no capability key and no BuildKit
    // cache entry of an earlier run matches, and every first build is really a first build.
    const baseDir = mkdtempSync(join(tmpdir(), 'bench-base-'));
    // A layer, not a label: BuildKit keys its cache on the base's layers, so only new content makes a new base.
    writeFileSync(join(baseDir, 'bench-run.txt'), `${randomUUID()}\n`);
    writeFileSync(join(baseDir, 'Dockerfile'), `FROM ${base}\nCOPY bench-run.txt /etc/bench-run.txt\n`);
    const runBase = 'openclaw-base:bench';
    const baseId = await buildImage(docker, { contextDir: baseDir, files: ['Dockerfile', 'bench-run.txt'], dockerfile: 'Dockerfile', tags: [runBase], labels: {}, buildArgs: {}, displayName: 'bench base', print: () => undefined });
    rmSync(baseDir, { recursive: true, force: true });
    await pushAs(docker, baseId, `${registry.address}/${runBase}`);
    mkdirSync(join(configRoot, 'config'));
    writeFileSync(join(configRoot, 'config/task-builds.json'), JSON.stringify({ defaultBaseImage: runBase }));
    writeFileSync(join(configRoot, 'config/capabilities.json'), JSON.stringify({ capabilities: [...fresh, 'jq'].map((name) => ({ kind: 'apt_package', name, versions: 'any-from-debian' })) }));
    const builder = new TaskImageBuilder({ configRoot, dataDir, registry: registry.address, concurrency: 4, queueLimit: 200 });
    await builder.start();
    const build = async (taskId: string, capabilities: string[]) => {
      const started = process.hrtime.bigint();
      const record = await builder.settled((await builder.submit({ task_id: taskId, capabilities })).id);
      if (record.state !== 'done') throw new Error(`bench build ${taskId} failed: ${record.error}`);
      return { record, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    };

    log('image-builder: first build of one small Debian package, against a plain build of the same Dockerfile');
    const first = await build('bench-first', [`apt_package:${fresh[0]}`]);
    const plainDir = mkdtempSync(join(tmpdir(), 'bench-plain-'));
    writeFileSync(join(plainDir, 'debian-packages.txt'), `${fresh[0]}\n`);
    writeFileSync(
      join(plainDir, 'Dockerfile'),
      `FROM ${registry.address}/openclaw-base@${first.record.base_digest}\nUSER 0\nCOPY debian-packages.txt /usr/share/openclaw/packages/task.txt\nRUN install-debian-packages /usr/share/openclaw/packages/task.txt\nUSER 1001\n`,
    );
    const plainStarted = process.hrtime.bigint();
    await buildImage(docker, { contextDir: plainDir, files: ['Dockerfile', 'debian-packages.txt'], dockerfile: 'Dockerfile', tags: ['bench-plain-task:latest'], labels: {}, buildArgs: {}, noCache: true, displayName: 'plain', print: () => undefined });
    const plain = Number(process.hrtime.bigint() - plainStarted) / 1e9;
    rmSync(plainDir, { recursive: true, force: true });
    table.ratio('image-builder: first build of one Debian package (request to pushed) vs plain docker build --no-cache', `${s(first.seconds)} vs ${s(plain)}`, first.seconds / plain, '<= 1.2x', first.seconds / plain <= 1.2);

    log('image-builder: new tasks with a capability set built before');
    await build('bench-warm-0', ['apt_package:jq']);
    const warm: number[] = [];
    for (let i = 1; i <= 7; i++) warm.push((await build(`bench-warm-${i}`, ['apt_package:jq'])).seconds);
    table.ratio('image-builder: a task with a set built before, request to pushed labelled image (median of 7)', s(median(warm)), median(warm), '<= 1 s', median(warm) <= 1);

    log('image-builder: 50 concurrent identical requests');
    const capabilities = [`apt_package:${fresh[1]}`, `apt_package:${fresh[2]}`];
    const started = process.hrtime.bigint();
    const records = await Promise.all(Array.from({ length: 50 }, async (_, i) => builder.settled((await builder.submit({ task_id: `bench-same-${i}`, capabilities })).id)));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const builds = records.filter((record) => record.layers === 'built').length;
    const images = new Set(records.filter((record) => record.state === 'done').map((record) => record.image)).size;
    table.record('image-builder: 50 concurrent identical requests', `${builds} capability build, ${images} distinct labelled images, ${s(seconds)}`, '1 build, 50 images', builds === 1 && images === 50 ? 'met' : 'MISSED');
    await builder.stop();
  } finally {
    await registry.remove();
    rmSync(configRoot, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}
