import { engineClient, inspectLocalImage, runContainer } from '@taskforge/engine';
import { hardenedHostConfig } from '@taskforge/run-profile';
import { readAttachedSbom } from '@taskforge/sbom';
import { tagDigest } from '@taskforge/testing';
import { startBuilderFixture, type BuilderFixture } from './builder-fixture';

jest.setTimeout(10 * 60 * 1000);

describe('task images from approved capabilities, FROM the released base pinned by digest', () => {
  let fx: BuilderFixture;
  beforeAll(async () => {
    fx = await startBuilderFixture(5091);
  });
  afterAll(() => fx?.dispose());

  it('builds a task image with a Python package (and what it requires) and a Debian package: pinned by digest, labelled, without pip, runnable hardened', async () => {
    const submitted = await fx.call('POST', '/v1/task-images', { task_id: 'task-abc123', capabilities: ['pip_package:tf-probe==1.2.0', 'apt_package:jq'] });
    expect(submitted.status).toBe(202);
    expect(submitted.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), state: 'queued' });
    const record = await fx.server.builder.settled(submitted.body.id);
    expect({ state: record.state, error: record.error }).toEqual({ state: 'done', error: null });

    const build = (await fx.call('GET', `/v1/task-images/${submitted.body.id}`)).body;
    const baseDigest = await tagDigest(fx.registry.address, fx.base.split(':')[0], fx.base.split(':')[1]);
    expect(build).toMatchObject({
      task_id: 'task-abc123',
      capabilities: ['pip_package:tf-probe==1.2.0', 'apt_package:jq'],
      state: 'done',
      base_image: fx.base,
      base_digest: baseDigest,
      layers: 'built',
      image: expect.stringMatching(new RegExp(`^${fx.registry.address}/openclaw-task@sha256:[0-9a-f]{64}$`)),
      image_tag: expect.stringMatching(new RegExp(`^${fx.registry.address}/openclaw-task:task-abc123-[0-9a-f]{8}$`)),
    });
    expect(build.size_bytes).toBeGreaterThan(0);
    // The readable tag and the pinned reference are one image in the registry.
    const [repository, tag] = build.image_tag.slice(fx.registry.address.length + 1).split(':');
    expect(`${fx.registry.address}/${repository}@${await tagDigest(fx.registry.address, repository, tag)}`).toBe(build.image);

    const docker = engineClient();
    const image = (await inspectLocalImage(docker, build.image_tag))!;
    expect(image.labels).toMatchObject({
      task_id: 'task-abc123',
      capabilities: 'pip_package:tf-probe,apt_package:jq',
      'org.opencontainers.image.base.name': fx.base,
      'org.opencontainers.image.base.digest': baseDigest,
      'dev.taskforge.capability-key': build.capability_key,
    });
    expect(image.user).toBe('1001');

    const run = await runContainer(docker, {
      image: build.image_tag,
      entrypoint: ['sh', '-c', 'python3 -c "import tf_probe; print(tf_probe.__version__, tf_probe.ANSWER)"; jq --version; python3 -m pip --version >/dev/null 2>&1 && echo pip-present || echo no-pip; id -u'],
      hostConfig: hardenedHostConfig({ network: 'none' }),
      timeoutMs: 60000,
    });
    expect(run.stdout.trim().split('\n')).toEqual(['1.2.0 42', expect.stringMatching(/^jq-1\.6/), 'no-pip', '1001']);
    // pip fetched exactly the two hash-pinned wheels from the index.
    expect(fx.index.requests.filter((path) => path.startsWith('/files/')).sort()).toEqual(fx.index.wheels.map((wheel) => `/files/${wheel.file}`).sort());
  });

  it('a second task with the same capabilities gets its own labelled image without building the layers again', async () => {
    const first = await fx.build('task-one', ['apt_package:tree']);
    const second = await fx.build('task-two', ['apt_package:tree']);
    expect([first.state, second.state]).toEqual(['done', 'done']);
    expect(first.layers).toBe('built');
    expect(second.layers).toBe('reused');
    expect(second.capability_key).toBe(first.capability_key);
    expect(second.image).not.toBe(first.image);
    const log = (await fx.call('GET', `/v1/task-images/${second.id}/log`)).body as string;
    expect(log).toContain('capability layers reused from the engine');
    expect(log).not.toContain('building capability layers');
    const docker = engineClient();
    const [one, two] = await Promise.all([inspectLocalImage(docker, first.image_tag), inspectLocalImage(docker, second.image_tag)]);
    expect(one!.layers).toEqual(two!.layers);
    expect([one!.labels.task_id, two!.labels.task_id]).toEqual(['task-one', 'task-two']);
  });

  it('concurrent identical requests make exactly one build of the layers', async () => {
    const capabilities = ['apt_package:tree', 'apt_package:jq'];
    const submitted = await Promise.all(Array.from({ length: 6 }, (_, i) => fx.call('POST', '/v1/task-images', { task_id: `task-same-${i}`, capabilities })));
    expect(submitted.map((answer) => answer.status)).toEqual(Array(6).fill(202));
    const records = await Promise.all(submitted.map((answer) => fx.server.builder.settled(answer.body.id)));
    expect(records.map((record) => record.state)).toEqual(Array(6).fill('done'));
    expect(records.filter((record) => record.layers === 'built')).toHaveLength(1);
    expect(new Set(records.map((record) => record.image)).size).toBe(6);
    const logs = await Promise.all(records.map(async (record) => (await fx.call('GET', `/v1/task-images/${record.id}/log`)).body as string));
    expect(logs.filter((log) => log.includes('building capability layers'))).toHaveLength(1);
  });

  it('attaches each task image its own SBOM, listing the Debian package its capability installed at the version dpkg recorded', async () => {
    const first = await fx.build('task-sbom-one', ['apt_package:bc']);
    const second = await fx.build('task-sbom-two', ['apt_package:bc']);
    expect([first.state, second.state, second.layers]).toEqual(['done', 'done', 'reused']);
    const docker = engineClient();
    const dpkg = await runContainer(docker, { image: first.image_tag, entrypoint: ['dpkg-query', '-W', '-f', '${Version}', 'bc'], hostConfig: hardenedHostConfig({ network: 'none' }), timeoutMs: 60000 });
    const installed = dpkg.stdout.trim();
    expect(installed).toMatch(/^\S+$/);
    const sboms = [];
    for (const build of [first, second]) {
      const digest = build.image.split('@')[1];
      expect(build.sbom).toBe(`${fx.registry.address}/openclaw-task:${digest.replace(':', '-')}.sbom`);
      // readAttachedSbom finds `sha256-<hex>.sbom` by the image's digest and refuses one that names another image.
      const attached = await readAttachedSbom(fx.registry.address, 'openclaw-task', digest);
      expect(attached).toBeDefined();
      const { sbom } = attached!;
      expect(sbom.metadata?.component).toMatchObject({ type: 'container', name: 'openclaw-task', hashes: [{ alg: 'SHA-256', content: digest.slice('sha256:'.length) }] });
      const taskId = sbom.metadata?.component?.properties?.find((property) => property.name === 'taskforge:image:label:task_id')?.value;
      expect(taskId).toBe(build.task_id);
      const bc = (sbom.components ?? []).filter((component) => component.purl?.startsWith('pkg:deb/debian/bc@'));
      expect(bc.map((component) => ({ version: component.version, purlVersion: decodeURIComponent(/@([^?]+)/.exec(component.purl!)![1]) }))).toEqual([{ version: installed, purlVersion: installed }]);
      sboms.push(sbom);
    }
    // One set, one reading of its packages: both tasks list the same components, each with itself as the subject.
    expect(sboms[1].components).toEqual(sboms[0].components);
    expect(sboms[1].serialNumber).not.toBe(sboms[0].serialNumber);
  });

  it('follows a build log while it runs, and needs the operator token on every route', async () => {
    const submitted = await fx.call('POST', '/v1/task-images', { task_id: 'task-followed', capabilities: ['apt_package:jq'] });
    const followed = await fx.call('GET', `/v1/task-images/${submitted.body.id}/log?follow=true`);
    expect(followed.status).toBe(200);
    expect(followed.body).toMatch(/^base .*\n[\s\S]*done: \S+@sha256:[0-9a-f]{64}\n$/);
    for (const [method, path] of [['POST', '/v1/task-images'], ['GET', `/v1/task-images/${submitted.body.id}`], ['GET', `/v1/task-images/${submitted.body.id}/log`]]) {
      expect((await fx.call(method, path, method === 'POST' ? { task_id: 'x', capabilities: ['apt_package:jq'] } : undefined, '')).status).toBe(401);
      expect((await fx.call(method, path, method === 'POST' ? { task_id: 'x', capabilities: ['apt_package:jq'] } : undefined, 'tfo_wrong-token-0123456789')).status).toBe(401);
    }
    expect((await fx.call('GET', '/v1/task-images/no-such-build')).status).toBe(404);
  });
});
