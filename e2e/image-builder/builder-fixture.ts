import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineClient, pushAs } from '@taskforge/engine';
import { buildImageBuilderServer, type ImageBuilderServer } from '@taskforge/image-builder-server';
import { CATALOGUE_FILE } from '@taskforge/task-images';
import { engineForTests, removeImagesNamed, REPO_ROOT, repoImage, startPipIndex, startScratchRegistry, type PipIndex, type PipPackage, type ScratchRegistry } from '@taskforge/testing';

export const OPERATOR_TOKEN = 'tfo_image-builder-e2e-operator-token';

/** Two Python packages of the test's own: `tf-probe` needs `tf-probe-dep` (pip runs with --no-deps, so the catalogue says so). */
export const PIP_PACKAGES: PipPackage[] = [
  { name: 'tf-probe', version: '1.2.0', modules: { 'tf_probe/__init__.py': 'from tf_probe_dep import ANSWER\n__version__ = "1.2.0"\n' } },
  { name: 'tf-probe-dep', version: '0.3.0', modules: { 'tf_probe_dep/__init__.py': 'ANSWER = 42\n' } },
];

export interface BuilderFixture {
  server: ImageBuilderServer;
  url: string;
  registry: ScratchRegistry;
  index: PipIndex;
  configRoot: string;
  /** The base as released into the test's registry: `openclaw-base:<version>`. */
  base: string;
  call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }>;
  /** Submits and waits for the build to end. */
  build(taskId: string, capabilities: string[]): Promise<any>;
  writeCatalogue(entries: unknown[]): void;
  dispose(): Promise<void>;
}

/** What an image-builder needs around it: a registry where the base is released, a package index, a config folder. */
export interface BuilderEnvironment {
  registry: ScratchRegistry;
  index: PipIndex;
  configRoot: string;
  base: string;
  writeCatalogue(entries: unknown[]): void;
  dispose(): Promise<void>;
}

/** The catalogue of the tests: the index's two packages (with their wheel hashes) and three small Debian packages. */
export function testCatalogue(index: PipIndex): unknown[] {
  const hash = (name: string) => index.wheels.find((wheel) => wheel.name === name)!.sha256;
  return [
    { kind: 'pip_package', name: 'tf-probe', versions: { '1.2.0': { sha256: [hash('tf-probe')], requires: ['pip_package:tf-probe-dep==0.3.0'] } } },
    { kind: 'pip_package', name: 'tf-probe-dep', versions: { '0.3.0': { sha256: [hash('tf-probe-dep')] } } },
    { kind: 'apt_package', name: 'jq', versions: 'any-from-debian' },
    { kind: 'apt_package', name: 'tree', versions: 'any-from-debian' },
    { kind: 'apt_package', name: 'bc', versions: 'any-from-debian' },
  ];
}

/**
 * A scratch registry where the repo's base image is released, a PEP 503
 * index on loopback (so builds use the host network), and a config folder of
 * the test's own (catalogue, task-builds.json).
 */
export async function startBuilderEnvironment(registryPort: number): Promise<BuilderEnvironment> {
  await engineForTests();
  const base = await repoImage('agent-base');
  const registry = await startScratchRegistry(registryPort);
  await pushAs(engineClient(), base, `${registry.address}/${base}`);
  const index = await startPipIndex(PIP_PACKAGES);
  const configRoot = mkdtempSync(join(tmpdir(), 'image-builder-config-'));
  mkdirSync(join(configRoot, 'config'));
  writeFileSync(join(configRoot, 'config/task-builds.json'), `${JSON.stringify({ defaultBaseImage: base })}\n`);
  const writeCatalogue = (entries: unknown[]) => writeFileSync(join(configRoot, CATALOGUE_FILE), JSON.stringify({ capabilities: entries }, null, 2));
  writeCatalogue(testCatalogue(index));
  return {
    registry,
    index,
    configRoot,
    base,
    writeCatalogue,
    dispose: async () => {
      await index.stop();
      await registry.remove();
      rmSync(configRoot, { recursive: true, force: true });
    },
  };
}

/** The image-builder in-process on loopback, in an environment of its own (a registry on `environment`'s port) or the one given. */
export async function startBuilderFixture(
  environmentOrPort: number | BuilderEnvironment,
  options: { concurrency?: number; queueLimit?: number } = {},
): Promise<BuilderFixture> {
  const environment = typeof environmentOrPort === 'number' ? await startBuilderEnvironment(environmentOrPort) : environmentOrPort;
  const { registry, index, configRoot, base, writeCatalogue } = environment;
  const dataDir = mkdtempSync(join(tmpdir(), 'image-builder-data-'));
  // Layers of this fixture's own: what an earlier run left in the engine is never "reused" by this one.
  const layersRepository = `openclaw-task-layers-${randomBytes(4).toString('hex')}`;
  const server = buildImageBuilderServer({
    layersRepository,
    configRoot,
    dataDir,
    registry: registry.address,
    pipIndexUrl: index.url,
    buildNetwork: 'host',
    operatorToken: OPERATOR_TOKEN,
    concurrency: options.concurrency,
    queueLimit: options.queueLimit,
  });
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  const call = async (method: string, path: string, body?: unknown, token = OPERATOR_TOKEN) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // plain text (the build log)
    }
    return { status: response.status, body: parsed as any, headers: response.headers };
  };
  return {
    server,
    url,
    registry,
    index,
    configRoot,
    base,
    call,
    writeCatalogue,
    build: async (taskId, capabilities) => {
      const submitted = await call('POST', '/v1/task-images', { task_id: taskId, capabilities });
      if (submitted.status !== 202) throw new Error(`POST answered ${submitted.status}: ${JSON.stringify(submitted.body)}`);
      await server.builder.settled(submitted.body.id);
      return (await call('GET', `/v1/task-images/${submitted.body.id}`)).body;
    },
    dispose: async () => {
      await server.app.close();
      await removeImagesNamed(layersRepository);
      await environment.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The service as operators run it (`apps/image-builder/src/main.ts`), as a process of its own a test can kill. */
export interface BuilderProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far. */
  output(): string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** SIGKILL, no warning, and waits for the exit. */
  kill(): Promise<void>;
}

/** Starts apps/image-builder in `env` with IMAGE_BUILDER_* settings on top; resolves once it listens. */
export function startBuilderProcess(env: BuilderEnvironment, settings: Record<string, string>): Promise<BuilderProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'apps/image-builder/src/main.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      IMAGE_BUILDER_PORT: '0',
      IMAGE_BUILDER_OPERATOR_TOKEN: OPERATOR_TOKEN,
      IMAGE_BUILDER_CONFIG_ROOT: env.configRoot,
      IMAGE_BUILDER_BUILD_NETWORK: 'host',
      IMAGE_REGISTRY: env.registry.address,
      PIP_INDEX_URL: env.index.url,
      ...settings,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const url = /image-builder on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
      if (!url) return;
      resolve({
        child,
        url,
        output: () => output,
        call: async (method, path, body) => {
          const response = await fetch(`${url}${path}`, {
            method,
            headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
          });
          const text = await response.text();
          return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
        },
        kill: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((done) => child.once('exit', done));
          child.kill('SIGKILL');
          await exited;
        },
      });
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.on('exit', (code) => reject(new Error(`the image-builder exited (${code}) before listening:\n${output}`)));
  });
}

/** Polls `check` until it gives a value (or `timeoutMs` passes: then fails naming `what`). */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 5 * 60 * 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}
