import { healthOf, IMAGE, startAgent, startHarness, waitFor } from '@taskforge/agent-harness';
import { buildImageBuilderServer } from '@taskforge/image-builder-server';
import { hardenedHostConfig } from '@taskforge/run-profile';
import { CATALOGUE_FILE } from '@taskforge/task-images';
import { engineFacts, inspectLocalImage, removeImage, runContainer } from '@taskforge/engine';
import { nestedEngineName, type NestedEngineChoice } from '@taskforge/engine-setup';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commit, engineForTests, fixtureSigningEnv, fixtureSigningKey, Skopeo, upstreamSkopeoImage } from '@taskforge/testing';
import { enginesUnderTest, type EngineScenario, outcomes, registryDigest, startEngineScenario } from './engine-scenario';

// A nested engine's first start builds its root (about a minute per Debian suite, once per machine); the base's
// first build and its in-image tests take a minute or two on 2 cores.
jest.setTimeout(15 * 60 * 1000);

const print = (line: string) => console.log(`[engines] ${line}`);
/** The build's SOURCE_DATE_EPOCH: 2025-01-01T00:00:00Z. */
const SOURCE_DATE_EPOCH = 1735689600;

/** The image-builder's operator credential in this scenario. */
const BUILDER_TOKEN = 'tfo_engines-e2e-operator-token';

/** The fixture's vulnerability database (the Debian Security Tracker's export format). */
const VULNERABILITY_DATABASE = 'config/vulnerability-db.json';

/** What a task sees of its own limits: its user, capabilities, no_new_privs, memory and pids limits (cgroup v2 or v1). */
const LIMITS_PROBE = [
  'import json, os',
  'def first(*paths):',
  '    for path in paths:',
  '        try:',
  '            return open(path).read().strip()',
  '        except OSError:',
  '            pass',
  "status = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)",
  "print(json.dumps({'uid': os.getuid(), 'capabilities': status['CapEff'], 'no_new_privs': status['NoNewPrivs'],",
  "    'memory': int(first('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes')),",
  "    'pids': int(first('/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max'))}))",
].join('\n');

/** Docker 26.1 with the containerd store cannot build the base (see assertBuildsUploadedContext): it is refused. */
const refuses = (choice: NestedEngineChoice) => choice.engine === '26.1' && choice.store === 'containerd';
/** describe.each over the engines under test, or one skipped block when none of them is asked for. */
const eachEngine = (choices: NestedEngineChoice[]) => (choices.length ? describe.each(choices) : describe.skip.each([{ engine: 'none', store: 'none' } as unknown as NestedEngineChoice]));

eachEngine(enginesUnderTest().filter((choice) => !refuses(choice)))(
  'the base graph on Docker $engine with the $store image store',
  (choice: NestedEngineChoice) => {
    let scenario: EngineScenario;
    beforeAll(async () => {
      await engineForTests();
      scenario = await startEngineScenario(choice, print);
    });
    afterAll(async () => scenario?.remove());

    it('a fresh machine reuses the root image from the registry, builds the base with a start interval and SOURCE_DATE_EPOCH, and its tests pass', async () => {
      const run = scenario.nx(['run-many', '-t', 'build-image', 'test-image', '-p', 'python-runtime', 'agent-base', '--output-style=static'], { SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH) });
      expect(run.code).toBe(0);
      expect(outcomes(run.output)).toEqual({ 'python-runtime': 'reused from registry', 'agent-base': 'built' });
      expect(run.output).not.toMatch(/lacks HEALTHCHECK|SOURCE_DATE_EPOCH: Docker/);
      expect(run.output).toMatch(/\[agent-base\] +Ran \d+ tests in [\d.]+s\n\[agent-base\] +OK\n/);
      // The size says what it counts: the containerd store's is the compressed content.
      expect(run.output).toMatch(new RegExp(`\\[agent-base\\] built: .* \\(\\d+\\.\\d MB${choice.store === 'containerd' ? ' compressed' : ''}\\) in `));

      const base = await scenario.docker.getImage('openclaw-base:1.0.0').inspect();
      const healthcheck = base.Config.Healthcheck as { StartInterval?: number; Interval?: number };
      expect(healthcheck).toMatchObject({ Interval: 3e9, StartInterval: 250e6 });
      expect(new Date(base.Created).toISOString()).toBe(new Date(SOURCE_DATE_EPOCH * 1000).toISOString());
    });

    it('a second run builds nothing: the engine has both, then Nx replays', () => {
      const again = scenario.nx(['run-many', '-t', 'build-image', '-p', 'python-runtime', 'agent-base', '--output-style=static']);
      expect(again.code).toBe(0);
      expect(outcomes(again.output)).toEqual({ 'python-runtime': 'reused from engine', 'agent-base': 'reused from engine' });
      const settled = scenario.nx(['run-many', '-t', 'build-image', '-p', 'python-runtime', 'agent-base', '--output-style=static']);
      expect(settled.output).toContain('Nx read the output from the cache instead of running the command for 2 out of 2 tasks');
    });

    it('share-image puts the content tag in the registry, where a fresh machine finds it', async () => {
      const key = scenario.contentKey('agent-base');
      expect(await registryDigest(scenario.registry, 'openclaw-base', `ck-${key}`)).toBeNull();
      const shared = scenario.nx(['run', 'agent-base:share-image', '--output-style=static']);
      expect(shared.code).toBe(0);
      expect(await registryDigest(scenario.registry, 'openclaw-base', `ck-${key}`)).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it('push-image prints the digest the registry stored, read back from the host', async () => {
      const push = scenario.nx(['run', 'agent-base:push-image', '--output-style=static']);
      expect(push.code).toBe(0);
      const printed = /\[agent-base\] digest (sha256:[0-9a-f]{64})/.exec(push.output)?.[1];
      expect(printed).toBeDefined();
      const commit = scenario.fixture.git(['rev-parse', 'HEAD']).stdout.trim();
      expect(await registryDigest(scenario.registry, 'openclaw-base', `1.0.0-dev.${commit.slice(0, 7)}`)).toBe(printed);
      expect(await registryDigest(scenario.registry, 'openclaw-base', `ck-${scenario.contentKey('agent-base')}`)).toBe(printed);
    });

    it('never replays an image the engine no longer has: it comes back from the registry, whatever the store calls its ID', async () => {
      const before = await inspectLocalImage(scenario.docker, 'openclaw-base:1.0.0');
      for (const tag of before!.repoTags) await removeImage(scenario.docker, tag, true);
      const after = scenario.nx(['run-many', '-t', 'build-image', '-p', 'python-runtime', 'agent-base', '--output-style=static']);
      expect(after.code).toBe(0);
      expect(outcomes(after.output)).toEqual({ 'python-runtime': 'reused from engine', 'agent-base': 'reused from registry' });
      const back = await inspectLocalImage(scenario.docker, 'openclaw-base:1.0.0');
      // The same image: its layers, and what the record calls it is what the engine calls it on this store.
      expect(back!.layers).toEqual(before!.layers);
      expect(scenario.fixture.record('agent-base')!.id).toBe(back!.id);
      expect((await engineFacts(scenario.docker)).imageStore).toBe(choice.store);
    });

    it('runs a task against the control plane under the hardened profile: policy enforced, limits in force, no network but the control plane socket, healthy', async () => {
      const harness = await startHarness({ engine: { docker: scenario.docker, sharedDir: scenario.engine.sharedDir } });
      const peer = await scenario.docker.createNetwork({ Name: `${harness.name}-peer`, Driver: 'bridge', Labels: { 'io.taskforge.test': 'engines' } });
      const server = await scenario.docker.createContainer({ Image: IMAGE, Entrypoint: ['python3', '-m', 'http.server', '8080'], HostConfig: { NetworkMode: `${harness.name}-peer` } });
      try {
        await server.start();
        const address = ((await server.inspect()) as { NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }).NetworkSettings.Networks[`${harness.name}-peer`].IPAddress;
        const probe = `import socket\ntry:\n    socket.create_connection(('${address}', 8080), timeout=3).close()\n    print('reached')\nexcept OSError as e:\n    print('unreachable')`;
        // The control: the server answers a container of its own network, on this engine.
        const control = await runContainer(scenario.docker, { image: IMAGE, entrypoint: ['python3', '-c', probe], hostConfig: { NetworkMode: `${harness.name}-peer` }, timeoutMs: 30000 });
        expect(control.stdout).toBe('reached\n');

        const taskId = await harness.createTask(
          [
            { id: 'write', type: 'write_file', path: 'notes/plan.txt', content: 'step 1\n' },
            { id: 'echo', type: 'run_command', argv: ['echo', 'hello from the agent'] },
            { id: 'touch', type: 'run_command', argv: ['touch', 'denied.txt'] },
            { id: 'secret', type: 'write_file', path: 'secrets/key', content: 'x' },
            { id: 'read-only-root', type: 'run_command', argv: ['sh', '-c', 'touch /opt/openclaw/x'] },
            { id: 'limits', type: 'run_command', argv: ['python3', '-c', LIMITS_PROBE] },
            { id: 'probe', type: 'run_command', argv: ['python3', '-c', probe] },
          ],
          { closeWhenEmpty: false },
        );
        const started = Date.now();
        const run = await startAgent(harness, taskId);
        await waitFor('healthy', async () => ((await healthOf(run.container)) === 'healthy' ? true : undefined), 30000);
        print(`${nestedEngineName(choice)}: container start -> healthy in ${Date.now() - started} ms (one start; npm run bench measures it)`);
        await waitFor('the last result', async () => (await harness.task(taskId)).results.find((r) => r.action_id === 'probe'), 60000);
        await harness.close(taskId);
        const { exitCode, lines } = await run.exited;
        expect(exitCode).toBe(0);
        expect(lines.at(-1)!.event).toBe('task_done');
        const { results } = await harness.task(taskId);
        const result = (id: string) => results.find((r) => r.action_id === id);
        expect(result('write')!.status).toBe('succeeded');
        expect(result('echo')).toMatchObject({ status: 'succeeded', stdout: 'hello from the agent\n' });
        expect(result('touch')).toMatchObject({ status: 'denied', decision: { allowed: false } });
        expect(result('secret')).toMatchObject({ status: 'denied', decision: { matched_rule: 'no-secrets' } });
        expect(result('read-only-root')).toMatchObject({ status: 'failed', exit_code: 1 });
        expect(JSON.parse(result('limits')!.stdout!)).toEqual({ uid: 1001, capabilities: '0000000000000000', no_new_privs: '1', memory: 512 * 1024 * 1024, pids: 256 });
        expect(result('probe')!.stdout).toBe('unreachable\n');
      } finally {
        await server.remove({ force: true });
        await peer.remove();
        await harness.dispose();
      }
    });

    it('nx release publish pushes both images through this engine, signed (skopeo accepts the signature), with an SBOM and a vulnerability verdict', async () => {
      const nxJson = JSON.parse(scenario.fixture.read('nx.json'));
      nxJson.plugins[0].options.vulnerabilityDatabase = { format: 'debian-security-tracker', path: VULNERABILITY_DATABASE, release: 'bookworm', failOn: 'high' };
      // An empty export: nothing is found, so the verdict says so and is attached.
      commit(scenario.fixture, 'chore: the vulnerability database', { 'nx.json': `${JSON.stringify(nxJson, null, 2)}\n`, [VULNERABILITY_DATABASE]: '{}\n' });
      // Versioning, changelogs and tags are git's and the same on every engine: the images are tagged as released at
      // their VERSION, and publish (push, SBOM, signature, verdict) is what runs through this engine.
      for (const tag of ['python-runtime-v1.0.0', 'agent-base-v1.0.0']) {
        const tagged = scenario.fixture.git(['tag', '--annotate', tag, '--message', tag]);
        expect({ tag, code: tagged.code, output: tagged.output }).toEqual({ tag, code: 0, output: '' });
      }
      const released = await scenario.release(['publish']);
      // On a failure, the end of what the release said, not only its exit code.
      expect({ code: released.code, tail: released.code === 0 ? '' : released.output.slice(-4000) }).toEqual({ code: 0, tail: '' });
      const registry = scenario.registry;
      for (const repository of ['openclaw-python', 'openclaw-base']) {
        expect(released.output).toContain(`published ${registry}/${repository}:1.0.0`);
        const digest = await registryDigest(registry, repository, '1.0.0');
        expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        for (const attachment of ['sig', 'sbom', 'vuln']) expect(await registryDigest(registry, repository, `${digest!.replace(':', '-')}.${attachment}`)).toMatch(/^sha256:/);
      }
      const work = mkdtempSync(join(tmpdir(), 'engines-skopeo-'));
      try {
        const publicKey = join(work, 'signing.pub');
        writeFileSync(publicKey, fixtureSigningKey().publicKey);
        const skopeo = new Skopeo(work, scenario.engine.registry, await upstreamSkopeoImage(print));
        expect(skopeo.verdict(`${registry}/openclaw-base:1.0.0`, publicKey)).toBe('accepted');
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
      const verified = scenario.nx(['run', 'agent-base:verify-image'], fixtureSigningEnv());
      expect(verified.code).toBe(0);
      expect(verified.output).toContain(`${registry}/openclaw-base:1.0.0: signature verified`);
    });

    it("the image-builder builds a task image on this engine, FROM the base just released, pinned by digest, runnable hardened", async () => {
      const configRoot = mkdtempSync(join(tmpdir(), 'engines-builder-config-'));
      const dataDir = mkdtempSync(join(tmpdir(), 'engines-builder-data-'));
      mkdirSync(join(configRoot, 'config'));
      writeFileSync(join(configRoot, 'config/task-builds.json'), `${JSON.stringify({ defaultBaseImage: IMAGE })}\n`);
      // A Debian package: its RUN step reaches the mirror through the nested engine's own bridge. (The pip path needs a
      // package index of the test's own, on the host's loopback, which a nested engine's builds cannot reach.)
      writeFileSync(join(configRoot, CATALOGUE_FILE), JSON.stringify({ capabilities: [{ kind: 'apt_package', name: 'jq', versions: 'any-from-debian' }] }));
      const registry = scenario.registry;
      const server = buildImageBuilderServer({ configRoot, dataDir, registry, docker: scenario.docker, operatorToken: BUILDER_TOKEN, buildNetwork: 'default' });
      try {
        const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
        const submitted = await fetch(`${url}/v1/task-images`, {
          method: 'POST',
          headers: { authorization: `Bearer ${BUILDER_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ task_id: 'task-engines', capabilities: ['apt_package:jq'] }),
        });
        expect(submitted.status).toBe(202);
        const record = await server.builder.settled(((await submitted.json()) as { id: string }).id);
        expect({ state: record.state, error: record.error }).toEqual({ state: 'done', error: null });
        const build = (await (await fetch(`${url}/v1/task-images/${record.id}`, { headers: { authorization: `Bearer ${BUILDER_TOKEN}` } })).json()) as Record<string, string>;
        expect(build.base_digest).toBe(await registryDigest(registry, 'openclaw-base', '1.0.0'));
        const [repository, tag] = build.image_tag.slice(registry.length + 1).split(':');
        expect(build.image).toBe(`${registry}/${repository}@${await registryDigest(registry, repository, tag)}`);
        const run = await runContainer(scenario.docker, { image: build.image_tag, entrypoint: ['sh', '-c', 'jq --version; id -u'], hostConfig: hardenedHostConfig({ network: 'none' }), timeoutMs: 60000 });
        expect(run.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^jq-1\.6/), '1001']);
      } finally {
        await server.app.close();
        rmSync(configRoot, { recursive: true, force: true });
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  },
);

eachEngine(enginesUnderTest().filter(refuses))('Docker $engine with the $store image store', (choice: NestedEngineChoice) => {
  let scenario: EngineScenario;
  beforeAll(async () => {
    await engineForTests();
    scenario = await startEngineScenario(choice, print);
  });
  afterAll(async () => scenario?.remove());

  it('refuses the base build in one line with the fix (moby/moby#47717), after reusing the root image', () => {
    const run = scenario.nx(['run-many', '-t', 'build-image', '-p', 'python-runtime', 'agent-base', '--output-style=static']);
    expect(run.code).not.toBe(0);
    expect(outcomes(run.output)).toEqual({ 'python-runtime': 'reused from registry' });
    expect(run.output).toContain(
      `[agent-base] ERROR: agent-base: Docker ${scenario.engine.engineVersion} with the containerd image store cannot build from an uploaded context (moby/moby#47717, fixed in Docker 27.5): upgrade the engine to 27.5 or later`,
    );
    expect(run.output).not.toContain('load remote build context');
  });
});
