import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { engineClient } from '@taskforge/engine';
import { ensureNestedEngine, nestedEngineContainerName, nestedEnginePaths, stopNestedEngine, type NestedEngine, type NestedEngineChoice } from '../src';

// The root build (mmdebstrap, about a minute) happens once per recipe; a warm start takes a few seconds.
jest.setTimeout(10 * 60 * 1000);

const CHOICE: NestedEngineChoice = { engine: '28.5', store: 'containerd' };
const print = (line: string) => console.log(`[nested engine test] ${line}`);

/** The CLI as `npm run engine:up -- ...` runs it, in a shell with these exports (none: the host engine's defaults). */
function cli(args: string[], exports: Record<string, string> = {}) {
  const env = { ...process.env, ...exports };
  if (!exports.DOCKER_HOST) delete env.DOCKER_HOST;
  if (!exports.IMAGE_REGISTRY) delete env.IMAGE_REGISTRY;
  return spawnSync(process.execPath, [resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs'), resolve(__dirname, '../src/cli.ts'), ...args], { encoding: 'utf8', env });
}

/** The host's docker CLI pointed at the nested engine, as a user does after pasting the exports. */
function nestedDocker(engine: NestedEngine, ...args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: engine.dockerHost } });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

async function containerStart(): Promise<{ id: string; startedAt: string }> {
  const info = await engineClient().getContainer(nestedEngineContainerName(CHOICE)).inspect();
  return { id: info.Id, startedAt: info.State.StartedAt };
}

describe('a nested Docker 28.5 engine with the containerd image store', () => {
  const work = mkdtempSync(join(tmpdir(), 'nested-engine-'));
  let engine: NestedEngine;

  beforeAll(async () => {
    engine = await ensureNestedEngine(CHOICE, print);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is the server `docker version` reports through DOCKER_HOST', () => {
    expect(engine.dockerHost).toBe(`unix://${nestedEnginePaths('28.5-containerd').socket}`);
    expect(nestedDocker(engine, 'version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}')).toMatch(/^28\.5\.\d+\S* 1\.51$/);
    expect(engine.engineVersion).toMatch(/^28\.5\./);
    expect(engine.apiVersion).toBe('1.51');
  });

  it('keeps images in the containerd store', () => {
    expect(nestedDocker(engine, 'info', '--format', '{{json .DriverStatus}}')).toContain('io.containerd.snapshotter.v1');
  });

  it('runs an image and pushes it to its registry, whose manifest the host reads at the same address', async () => {
    // A one-file image: the nested root's static tini, as the host engine's archive of the container gives it.
    const tarball = join(work, 'tini.tar');
    const archive = await engineClient().getContainer(nestedEngineContainerName(CHOICE)).getArchive({ path: '/usr/bin/tini-static' });
    await pipeline(archive, createWriteStream(tarball));
    const reference = `${engine.registry}/nested-engine-test/tini:1`;
    nestedDocker(engine, 'import', tarball, reference);
    expect(nestedDocker(engine, 'run', '--rm', reference, '/tini-static', '--version')).toMatch(/^tini version 0\.19/);
    const pushed = nestedDocker(engine, 'push', reference);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
    expect(digest).toBeDefined();

    const [repository, tag] = reference.slice(engine.registry.length + 1).split(':');
    const manifest = await fetch(`http://${engine.registry}/v2/${repository}/manifests/${tag}`, {
      headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(digest);
  });

  // From the shell where its exports were pasted, as a user runs it again: those name the nested engine, not the host's.
  it('is found as it is by a second `up`, which prints the exports last', async () => {
    const before = await containerStart();
    const again = cli(['up', '--engine=28.5', '--store=containerd'], { DOCKER_HOST: engine.dockerHost, IMAGE_REGISTRY: engine.registry });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`ignoring DOCKER_HOST=${engine.dockerHost} (a nested engine's) for the host engine`);
    expect(again.stdout).toContain('nested engine 28.5-containerd found');
    expect(again.stdout).not.toMatch(/building|starting|replacing/);
    expect(again.stdout.trim().split('\n').slice(-2)).toEqual([`export DOCKER_HOST=${engine.dockerHost}`, `export IMAGE_REGISTRY=${engine.registry}`]);
    expect(await containerStart()).toEqual(before);
    expect((await ensureNestedEngine(CHOICE)).state).toBe('found');
  });

  it('stops with `down` and starts again warm, its images kept', async () => {
    const image = nestedDocker(engine, 'images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=*/nested-engine-test/*').split('\n')[0];
    expect(image).toBeTruthy();
    await stopNestedEngine(CHOICE, print);
    await expect(containerStart()).rejects.toMatchObject({ statusCode: 404 });
    const started = Date.now();
    const restarted = await ensureNestedEngine(CHOICE, print);
    print(`warm start in ${Date.now() - started} ms`);
    expect(restarted.state).toBe('started');
    expect(nestedDocker(restarted, 'image', 'inspect', '--format', '{{.Id}}', image)).toMatch(/^sha256:/);
  });

  it.each([
    [['--engine=29.0'], "[engine] --engine=29.0 is not an engine engine:up can start: accepted values are 26.1 (Debian 13 trixie's docker.io 26.1.5) and 28.5 (Debian unstable's docker.io 28.5.2)."],
    [['--engine=28.5', '--store=zfs'], '[engine] --store=zfs is not an image store: accepted values are classic and containerd.'],
  ])('refuses %j in one line, without a stack trace', (args, line) => {
    for (const command of ['up', 'down']) {
      const result = cli([command, ...args]);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`${line}\n`);
    }
  });
});
