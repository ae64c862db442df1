import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineClient, pushAs } from '@taskforge/engine';
import { buildImageBuilderServer, type ImageBuilderServer } from '@taskforge/image-builder-server';
import { engineForTests, removeImagesNamed, repoImage, startPipIndex, startScratchRegistry, type PipIndex, type PipPackage, type ScratchRegistry } from '@taskforge/testing';

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
  const writeCatalogue = (entries: unknown[]) => writeFileSync(join(configRoot, 'config/capabilities.json'), JSON.stringify({ capabilities: entries }, null, 2));
  const hash = (name: string) => index.wheels.find((wheel) => wheel.name === name)!.sha256;
  writeCatalogue([
    { kind: 'pip_package', name: 'tf-probe', versions: { '1.2.0': { sha256: [hash('tf-probe')], requires: ['pip_package:tf-probe-dep==0.3.0'] } } },
    { kind: 'pip_package', name: 'tf-probe-dep', versions: { '0.3.0': { sha256: [hash('tf-probe-dep')] } } },
    { kind: 'apt_package', name: 'jq', versions: 'any-from-debian' },
    { kind: 'apt_package', name: 'tree', versions: 'any-from-debian' },
    { kind: 'apt_package', name: 'bc', versions: 'any-from-debian' },
  ]);
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

/** The image-builder in-process on loopback, in its own environment. */
export async function startBuilderFixture(registryPort: number, options: { concurrency?: number; queueLimit?: number } = {}): Promise<BuilderFixture> {
  const environment = await startBuilderEnvironment(registryPort);
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
