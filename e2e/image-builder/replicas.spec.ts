import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server } from 'node:net';
import { removeImagesNamed, startPostgres, type PostgresServer } from '@taskforge/testing';
import { startBuilderEnvironment, startBuilderProcess, until, type BuilderEnvironment, type BuilderProcess } from './builder-fixture';

jest.setTimeout(15 * 60 * 1000);

/**
 * The engine as a remote one: a TCP endpoint on loopback in front of the
 * local engine's socket, for a replica whose DOCKER_HOST is tcp://. Counts
 * the connections, so the test knows the replica built through it.
 */
async function engineOverTcp(port: number): Promise<{ server: Server; host: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((client) => {
    connections += 1;
    const engine = createConnection('/var/run/docker.sock');
    client.pipe(engine).pipe(client);
    client.on('error', () => engine.destroy());
    engine.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, host: `tcp://127.0.0.1:${port}`, connections: () => connections };
}

type Build = { id: string; task_id: string; state: string; layers: string | null; image: string | null; error: string | null; resumed: number; replica: string | null };

// Two image-builder processes on one PostgreSQL: the queue, the records and the single-flight lock are the database's.
describe('image-builder replicas sharing PostgreSQL', () => {
  let env: BuilderEnvironment;
  let postgres: PostgresServer;
  let remoteEngine: Awaited<ReturnType<typeof engineOverTcp>>;
  const layersRepository = `openclaw-task-layers-${randomBytes(4).toString('hex')}`;
  const replicas: BuilderProcess[] = [];

  beforeAll(async () => {
    [env, postgres, remoteEngine] = await Promise.all([startBuilderEnvironment(5095), startPostgres(5462), engineOverTcp(5096)]);
    const settings = {
      IMAGE_BUILDER_DATABASE_URL: postgres.url,
      IMAGE_BUILDER_CONCURRENCY: '2',
      IMAGE_BUILDER_LEASE_SECONDS: '3',
      IMAGE_BUILDER_LAYERS_REPOSITORY: layersRepository,
      IMAGE_BUILDER_DATA_DIR: '/nonexistent/never-used-with-a-database',
    };
    // Started one after the other: both create the tables if missing, under the database's lock.
    replicas.push(...(await Promise.all([startBuilderProcess(env, settings), startBuilderProcess(env, { ...settings, DOCKER_HOST: remoteEngine.host })])));
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.kill();
    remoteEngine?.server.close();
    await removeImagesNamed(layersRepository);
    await Promise.all([env?.dispose(), postgres?.remove()]);
  });

  const submitSpread = async (count: number, prefix: string, capabilities: string[]) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const answer = await replicas[i % replicas.length].call('POST', '/v1/task-images', { task_id: `${prefix}-${i}`, capabilities });
        expect(answer.status).toBe(202);
        return answer.body.id as string;
      }),
    );
  const settledOn = (replica: BuilderProcess, ids: string[]) =>
    until(`${ids.length} builds to end`, async () => {
      const records = await Promise.all(ids.map(async (id) => (await replica.call('GET', `/v1/task-images/${id}`)).body as Build));
      return records.every((record) => record.state === 'done' || record.state === 'failed') ? records : undefined;
    });

  it('makes one capability build for 20 identical concurrent requests spread over both, and 20 task images', async () => {
    const ids = await submitSpread(20, 'task-same', ['apt_package:bc']);
    const records = await settledOn(replicas[0], ids);
    expect(records.filter((record) => record.state !== 'done')).toEqual([]);
    expect(records.filter((record) => record.layers === 'built')).toHaveLength(1);
    expect(new Set(records.map((record) => record.image)).size).toBe(20);
    // Both replicas built task images, the one on DOCKER_HOST=tcp:// through that engine.
    expect(new Set(records.map((record) => record.replica)).size).toBe(2);
    expect(remoteEngine.connections()).toBeGreaterThan(0);
    const logs = await Promise.all(ids.map(async (id) => (await replicas[1].call('GET', `/v1/task-images/${id}/log`)).body as string));
    expect(logs.filter((log) => log.includes('building capability layers'))).toHaveLength(1);
  });

  it('loses no request when a replica is killed mid-build: the other takes its builds over', async () => {
    const ids = await submitSpread(6, 'task-killed', ['apt_package:tree']);
    const builder = await until('a replica to start the layers build', async () => {
      for (const id of ids) {
        const log = (await replicas[0].call('GET', `/v1/task-images/${id}/log`)).body as string;
        if (log.includes('building capability layers')) return (await replicas[0].call('GET', `/v1/task-images/${id}`)).body as Build;
      }
      return undefined;
    });
    const victim = replicas.find((replica) => builder.replica?.includes(`-${replica.child.pid}-`))!;
    const survivor = replicas.find((replica) => replica !== victim)!;
    expect(victim).toBeDefined();
    await victim.kill();

    const records = await settledOn(survivor, ids);
    expect(records.map((record) => [record.task_id, record.state, record.error])).toEqual(ids.map((_, i) => [`task-killed-${i}`, 'done', null]));
    const interrupted = records.find((record) => record.id === builder.id)!;
    expect(interrupted.resumed).toBe(1);
    expect(interrupted.replica).not.toBe(builder.replica);
    const log = (await survivor.call('GET', `/v1/task-images/${builder.id}/log`)).body as string;
    expect(log).toContain('the replica building this stopped answering (its lease ran out): building it again');
    // What the killed replica accepted is answered by the survivor too.
    expect(new Set(records.map((record) => record.image)).size).toBe(6);
  });
});
