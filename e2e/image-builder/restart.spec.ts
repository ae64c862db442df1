import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeImagesNamed } from '@taskforge/testing';
import { startBuilderEnvironment, startBuilderProcess, until, type BuilderEnvironment, type BuilderProcess } from './builder-fixture';

jest.setTimeout(10 * 60 * 1000);

// The service as operators run it, on its SQLite file, killed without warning mid-build.
describe('the image-builder killed during a build', () => {
  let env: BuilderEnvironment;
  const dataDir = mkdtempSync(join(tmpdir(), 'image-builder-restart-'));
  const layersRepository = `openclaw-task-layers-${randomBytes(4).toString('hex')}`;
  const running: BuilderProcess[] = [];
  beforeAll(async () => {
    env = await startBuilderEnvironment(5093);
  });
  afterAll(async () => {
    for (const service of running) await service.kill();
    await removeImagesNamed(layersRepository);
    await env?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const service = await startBuilderProcess(env, {
      IMAGE_BUILDER_DATA_DIR: dataDir,
      IMAGE_BUILDER_CONCURRENCY: '1',
      // Layers of this run's own: an earlier run's layers in the engine would be reused, and there would be no build to interrupt.
      IMAGE_BUILDER_LAYERS_REPOSITORY: layersRepository,
    });
    running.push(service);
    return service;
  };

  it('loses no request: the build it was running and the one waiting both finish after a restart', async () => {
    const first = await start();
    const building = await first.call('POST', '/v1/task-images', { task_id: 'task-interrupted', capabilities: ['apt_package:bc'] });
    const waiting = await first.call('POST', '/v1/task-images', { task_id: 'task-waiting', capabilities: ['apt_package:bc', 'apt_package:jq'] });
    expect([building.status, waiting.status]).toEqual([202, 202]);
    await until('the layers build to start', async () => {
      const log = (await first.call('GET', `/v1/task-images/${building.body.id}/log`)).body as string;
      return log.includes('building capability layers') ? true : undefined;
    });
    expect((await first.call('GET', `/v1/task-images/${waiting.body.id}`)).body.state).toBe('queued');
    await first.kill();

    const second = await start();
    const done = await until('both builds to end', async () => {
      const records = await Promise.all([building, waiting].map(async (submitted) => (await second.call('GET', `/v1/task-images/${submitted.body.id}`)).body));
      return records.every((record) => record.state === 'done' || record.state === 'failed') ? records : undefined;
    });
    expect(done.map((record) => [record.task_id, record.state, record.error])).toEqual([
      ['task-interrupted', 'done', null],
      ['task-waiting', 'done', null],
    ]);
    expect(done[0].resumed).toBe(1);
    expect(done[0].image).toMatch(/@sha256:[0-9a-f]{64}$/);
    const log = (await second.call('GET', `/v1/task-images/${building.body.id}/log`)).body as string;
    expect(log).toContain('the image-builder restarted during this build: building it again');
  });
});
