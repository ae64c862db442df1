import type { ActionResult } from '@taskforge/agent-contract';
import { runContainer } from '@taskforge/engine';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, repoImage } from '@taskforge/testing';
import { healthOf, IMAGE, startAgent, startHarness, TEST_RULES, waitFor, type Harness } from '@taskforge/agent-harness';

jest.setTimeout(10 * 60 * 1000);

const result = async (harness: Harness, taskId: string, actionId: string): Promise<ActionResult | undefined> => (await harness.task(taskId)).results.find((r) => r.action_id === actionId);

describe('openclaw-base running tasks against the control plane (hardened profile, internal network)', () => {
  let harness: Harness;
  beforeAll(async () => {
    await repoImage('agent-base');
    harness = await startHarness();
  });
  afterAll(() => harness?.dispose());

  it("the README's `docker run -e TASK_ID=test-123 -e CONTROL_PLANE_URL=...` runs a task to completion: allowed actions run, denied ones do not, escapes are refused, logs are JSON without secrets", async () => {
    const taskId = await harness.createTask(
      [
      { id: 'write', type: 'write_file', path: 'notes/plan.txt', content: 'step 1\n' },
      { id: 'echo', type: 'run_command', argv: ['echo', 'hello from the agent'] },
      { id: 'touch', type: 'run_command', argv: ['touch', 'denied.txt'] },
      { id: 'secret', type: 'write_file', path: 'secrets/key', content: 'x' },
      { id: 'escape', type: 'write_file', path: '../etc/evil', content: 'x' },
      { id: 'absolute', type: 'read_file', path: '/etc/passwd' },
      { id: 'read-only-root', type: 'run_command', argv: ['sh', '-c', 'touch /opt/openclaw/x'] },
      { id: 'list', type: 'list_files', path: '.' },
      ],
      { taskId: 'test-123' },
    );
    const { exitCode, lines, stdout, stderr } = await (await startAgent(harness, taskId)).exited;
    expect(exitCode).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).not.toContain(harness.agentToken(taskId));
    expect(lines.at(-1)!.event).toBe('task_done');
    expect(lines.every((line) => line.task_id === taskId)).toBe(true);

    expect((await result(harness, taskId, 'write'))!.status).toBe('succeeded');
    expect(await result(harness, taskId, 'echo')).toMatchObject({ status: 'succeeded', exit_code: 0, stdout: 'hello from the agent\n' });
    expect(await result(harness, taskId, 'touch')).toMatchObject({ status: 'denied', decision: { allowed: false, matched_rule: null } });
    expect(await result(harness, taskId, 'secret')).toMatchObject({ status: 'denied', decision: { matched_rule: 'no-secrets' } });
    expect((await result(harness, taskId, 'escape'))!.error).toContain('refused');
    expect((await result(harness, taskId, 'absolute'))!.error).toContain('refused');
    expect(await result(harness, taskId, 'read-only-root')).toMatchObject({ status: 'failed', exit_code: 1 });
    // Proof that the denied actions never ran: the workspace holds only what was allowed.
    expect((await result(harness, taskId, 'list'))!.entries).toEqual([{ name: 'notes', type: 'dir', size: 0 }]);
    expect(lines.filter((line) => line.event === 'audit')).toHaveLength(8);
    // The runtime reports the image's own VERSION, the one source of the version.
    const version = readFileSync(join(REPO_ROOT, 'images/base/VERSION'), 'utf8').trim();
    expect((await harness.task(taskId)).registered_agent!.runtime_version).toBe(version);
    expect(lines.find((line) => line.event === 'starting')!.fields).toMatchObject({ runtime_version: version });
  });

  it('cannot reach anything beyond its network: a server on another of our networks answers its own network, not the agent', async () => {
    // Only the project's own networks are ever targeted: a peer network with a server the agent must not reach.
    const docker = harness.docker;
    const peerNetwork = await docker.createNetwork({ Name: `${harness.name}-peer`, Driver: 'bridge', Labels: { 'io.taskforge.test': 'agent-base' } });
    const server = await docker.createContainer({
      Image: IMAGE,
      Entrypoint: ['python3', '-m', 'http.server', '8080', '--bind', '0.0.0.0'],
      HostConfig: { NetworkMode: `${harness.name}-peer` },
    });
    try {
      await server.start();
      const info = (await server.inspect()) as { NetworkSettings: { Networks: Record<string, { IPAddress: string }> } };
      const address = info.NetworkSettings.Networks[`${harness.name}-peer`].IPAddress;
      const probe = `import socket\ntry:\n    socket.create_connection(('${address}', 8080), timeout=3).close()\n    print('reached')\nexcept OSError as e:\n    print('unreachable', type(e).__name__)`;
      const control = await runContainer(docker, { image: IMAGE, entrypoint: ['python3', '-c', probe], hostConfig: { NetworkMode: `${harness.name}-peer` }, timeoutMs: 30000 });
      expect(control.stdout).toBe('reached\n');
      const taskId = await harness.createTask([{ id: 'probe', type: 'run_command', argv: ['python3', '-c', probe] }]);
      expect((await (await startAgent(harness, taskId)).exited).exitCode).toBe(0);
      expect((await result(harness, taskId, 'probe'))!.stdout).toMatch(/^unreachable (TimeoutError|ConnectionRefusedError|OSError)\n$/);
    } finally {
      await server.remove({ force: true });
      await peerNetwork.remove();
    }
  });

  it('a runtime that never got a policy executes nothing', async () => {
    harness.writePolicy('{ broken');
    try {
      const taskId = await harness.createTask([{ id: 'write', type: 'write_file', path: 'x.txt', content: 'x' }, { id: 'list', type: 'list_files' }]);
      expect((await (await startAgent(harness, taskId)).exited).exitCode).toBe(0);
      expect(await result(harness, taskId, 'write')).toMatchObject({ status: 'denied', decision: { reason: 'no valid policy', policy_revision: null } });
      expect((await result(harness, taskId, 'list'))!.status).toBe('denied');
    } finally {
      harness.writePolicy(TEST_RULES);
    }
  });

  it('keeps enforcing the last verified policy while the policy is unavailable, then denies everything after its maximum age', async () => {
    const taskId = await harness.createTask([{ id: 'before', type: 'write_file', path: 'a.txt', content: 'a' }], { closeWhenEmpty: false });
    const run = await startAgent(harness, taskId, { AGENT_POLICY_MAX_AGE_S: '4', AGENT_POLICY_REFRESH_S: '0.5', AGENT_REQUEST_TIMEOUT_S: '1' });
    await waitFor('the first result', () => result(harness, taskId, 'before'));
    harness.writePolicy('{ broken');
    try {
      await harness.enqueue(taskId, [{ id: 'during', type: 'write_file', path: 'b.txt', content: 'b' }]);
      await waitFor('the result under the last policy', () => result(harness, taskId, 'during'));
      await new Promise((r) => setTimeout(r, 5000));
      await harness.enqueue(taskId, [{ id: 'after', type: 'write_file', path: 'c.txt', content: 'c' }, { id: 'list', type: 'list_files' }]);
      await harness.close(taskId);
      const { exitCode, lines } = await run.exited;
      expect(exitCode).toBe(0);
      expect((await result(harness, taskId, 'during'))!.status).toBe('succeeded');
      expect(await result(harness, taskId, 'after')).toMatchObject({ status: 'denied', decision: { reason: 'policy expired and not renewed' } });
      expect((await result(harness, taskId, 'list'))!.status).toBe('denied');
      expect(lines.map((l) => l.event)).toContain('policy_expired');
    } finally {
      harness.writePolicy(TEST_RULES);
    }
  });

  it('control plane gone mid-task: exits in bounded time with a clear last line once the policy expires', async () => {
    const own = await startHarness();
    try {
      const taskId = await own.createTask([{ id: 'first', type: 'list_files' }], { closeWhenEmpty: false });
      const run = await startAgent(own, taskId, { AGENT_POLICY_MAX_AGE_S: '3', AGENT_POLICY_REFRESH_S: '0.5', AGENT_REQUEST_TIMEOUT_S: '1' });
      await waitFor('the first result', async () => (await own.task(taskId)).results[0]);
      await own.stopControlPlane();
      const stopped = Date.now();
      const { exitCode, lines } = await run.exited;
      expect(exitCode).toBe(3);
      expect(Date.now() - stopped).toBeLessThan(15000);
      expect(lines.at(-1)).toMatchObject({ level: 'error', event: 'control_plane_lost' });
    } finally {
      await own.dispose();
    }
  });

  it('turns healthy within seconds of start, and unhealthy when its loop is stuck (and the control plane gives up on it)', async () => {
    const taskId = await harness.createTask([], { closeWhenEmpty: false });
    const run = await startAgent(harness, taskId);
    const started = Date.now();
    await waitFor('healthy', async () => ((await healthOf(run.container)) === 'healthy' ? true : undefined), 20000);
    const toHealthy = Date.now() - started;
    expect(toHealthy).toBeLessThan(15000);
    // Freeze the runtime (PID 1, which nothing inside the container can stop) from the host, as a stuck loop would be:
    // the health check notices.
    const runtimePid = ((await run.container.inspect()) as { State: { Pid: number } }).State.Pid;
    process.kill(runtimePid, 'SIGSTOP');
    await waitFor('unhealthy', async () => ((await healthOf(run.container)) === 'unhealthy' ? true : undefined), 40000);
    // Frozen for longer than the control plane's missed-heartbeat limit: it has marked the task lost, and a resumed
    // runtime is turned away (410) and exits instead of running a task someone may have rescheduled.
    expect((await harness.task(taskId)).state).toBe('lost');
    process.kill(runtimePid, 'SIGCONT');
    const { exitCode, lines } = await run.exited;
    expect({ exitCode, last: lines.at(-1)!.event }).toEqual({ exitCode: 3, last: 'task_rejected' });
  });

  it('SIGTERM (docker stop) cancels the running command, reports it and exits well within 10 s', async () => {
    const taskId = await harness.createTask([{ id: 'long', type: 'run_command', argv: ['sleep', '300'], timeout_s: 600 }]);
    const run = await startAgent(harness, taskId);
    await waitFor('the command to start', async () => (await harness.task(taskId)).last_heartbeat?.current_action === 'long' || undefined);
    const stopping = Date.now();
    await run.container.stop({ t: 10 });
    const { exitCode, lines } = await run.exited;
    expect(Date.now() - stopping).toBeLessThan(10000);
    expect(exitCode).toBe(143);
    expect((await result(harness, taskId, 'long'))!.status).toBe('cancelled');
    expect(lines.at(-1)!.event).toBe('stopped');
  });

  it('runs unchanged under an arbitrary UID in group 0 (OpenShift style)', async () => {
    const taskId = await harness.createTask([{ id: 'write', type: 'write_file', path: 'out.txt', content: 'ok' }, { id: 'id', type: 'run_command', argv: ['sh', '-c', 'id -u; id -g'] }]);
    const { exitCode } = await (await startAgent(harness, taskId, {}, '123456:0')).exited;
    expect(exitCode).toBe(0);
    expect((await result(harness, taskId, 'write'))!.status).toBe('succeeded');
    expect((await result(harness, taskId, 'id'))!.stdout).toBe('123456\n0\n');
  });

  it('refuses to start without its configuration: one JSON line, exit 2', async () => {
    const run = await startAgent(harness, 'task-x', { CONTROL_PLANE_URL: '' }, undefined, IMAGE, { credential: 'none' });
    const { exitCode, lines } = await run.exited;
    expect(exitCode).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', event: 'config_invalid', fields: { error: expect.stringContaining('CONTROL_PLANE_URL is not set') } });
  });
});
