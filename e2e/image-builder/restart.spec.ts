import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeImagesNamed, REPO_ROOT } from '@taskforge/testing';
import { OPERATOR_TOKEN, startBuilderEnvironment, type BuilderEnvironment } from './builder-fixture';

jest.setTimeout(10 * 60 * 1000);

interface Service {
  child: ChildProcess;
  url: string;
}

// The service as operators run it (apps/image-builder/src/main.ts), killed without warning mid-build.
describe('the image-builder killed during a build', () => {
  let env: BuilderEnvironment;
  const dataDir = mkdtempSync(join(tmpdir(), 'image-builder-restart-'));
  const layersRepository = `openclaw-task-layers-${randomBytes(4).toString('hex')}`;
  const running: ChildProcess[] = [];
  beforeAll(async () => {
    env = await startBuilderEnvironment(5093);
  });
  afterAll(async () => {
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
    await removeImagesNamed(layersRepository);
    await env?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = (): Promise<Service> => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'apps/image-builder/src/main.ts')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        IMAGE_BUILDER_PORT: '0',
        IMAGE_BUILDER_OPERATOR_TOKEN: OPERATOR_TOKEN,
        IMAGE_BUILDER_DATA_DIR: dataDir,
        IMAGE_BUILDER_CONFIG_ROOT: env.configRoot,
        IMAGE_BUILDER_BUILD_NETWORK: 'host',
        IMAGE_BUILDER_CONCURRENCY: '1',
        // Layers of this run's own: an earlier run's layers in the engine would be reused, and there would be no build to interrupt.
        IMAGE_BUILDER_LAYERS_REPOSITORY: layersRepository,
        IMAGE_REGISTRY: env.registry.address,
        PIP_INDEX_URL: env.index.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    return new Promise((resolve, reject) => {
      let output = '';
      const seen = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const url = /image-builder on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
        if (url) resolve({ child, url });
      };
      child.stdout!.on('data', seen);
      child.stderr!.on('data', seen);
      child.on('exit', (code) => reject(new Error(`the image-builder exited (${code}) before listening:\n${output}`)));
    });
  };
  const call = async (service: Service, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 5 * 60 * 1000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await check();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('loses no request: the build it was running and the one waiting both finish after a restart', async () => {
    const first = await start();
    const building = await call(first, 'POST', '/v1/task-images', { task_id: 'task-interrupted', capabilities: ['apt_package:bc'] });
    const waiting = await call(first, 'POST', '/v1/task-images', { task_id: 'task-waiting', capabilities: ['apt_package:bc', 'apt_package:jq'] });
    expect([building.status, waiting.status]).toEqual([202, 202]);
    await until('the layers build to start', async () => {
      const log = (await call(first, 'GET', `/v1/task-images/${building.body.id}/log`)).body as string;
      return log.includes('building capability layers') ? true : undefined;
    });
    expect((await call(first, 'GET', `/v1/task-images/${waiting.body.id}`)).body.state).toBe('queued');
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await start();
    const done = await until('both builds to end', async () => {
      const records = await Promise.all([building, waiting].map(async (submitted) => (await call(second, 'GET', `/v1/task-images/${submitted.body.id}`)).body));
      return records.every((record) => record.state === 'done' || record.state === 'failed') ? records : undefined;
    });
    expect(done.map((record) => [record.task_id, record.state, record.error])).toEqual([
      ['task-interrupted', 'done', null],
      ['task-waiting', 'done', null],
    ]);
    expect(done[0].resumed).toBe(1);
    expect(done[0].image).toMatch(/@sha256:[0-9a-f]{64}$/);
    const log = (await call(second, 'GET', `/v1/task-images/${building.body.id}/log`)).body as string;
    expect(log).toContain('the image-builder restarted during this build: building it again');
    second.child.kill('SIGTERM');
  });
});
