import { chownSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionInput, ActionResult } from '@taskforge/agent-contract';
import { execIn, makeTestPki, repoImage, type TestPki } from '@taskforge/testing';
import { IMAGE, startAgent, startHarness, waitFor, type Harness } from '@taskforge/agent-harness';

jest.setTimeout(10 * 60 * 1000);

// The task is hostile: everything below is something a task's commands or files may try. Each test drives the real
// image under the hardened profile on an internal network, against the real control plane.

const result = async (harness: Harness, taskId: string, actionId: string): Promise<ActionResult | undefined> => (await harness.task(taskId)).results.find((r) => r.action_id === actionId);
const sh = (id: string, script: string, extra: Partial<Extract<ActionInput, { type: 'run_command' }>> = {}): ActionInput => ({ id, type: 'run_command', argv: ['sh', '-c', script], ...extra });
const python = (id: string, script: string, ...args: string[]): ActionInput => ({ id, type: 'run_command', argv: ['python3', '-c', script, ...args] });

describe('openclaw-base holds against a hostile task', () => {
  let harness: Harness;
  beforeAll(async () => {
    await repoImage('agent-base');
    harness = await startHarness();
  });
  afterAll(() => harness?.dispose());

  it('code the task writes never becomes code of the runtime: planted packages, .pth files and stdlib shadows under the health check, a plain python3 and a restart', async () => {
    const volume = `agent-planted-${Date.now()}`;
    await harness.docker.createVolume({ Name: volume, Labels: { 'io.taskforge.test': 'agent-base' } });
    // Each planted module leaves a marker when it is imported; no marker may ever appear.
    const plant = (name: string) => `import os\nopen(os.path.join('/workspace', 'PWNED-${name}'), 'w').close()\nprint(1)\n`;
    const planted: Record<string, string> = {
      'agent/__init__.py': plant('agent-init'),
      'agent/health.py': plant('agent-health'),
      'agent/agent_runtime.py': plant('agent-runtime'),
      'sitecustomize.py': plant('sitecustomize'),
      'usercustomize.py': plant('usercustomize'),
      'json.py': plant('json'),
      'socket.py': plant('socket'),
      'logging/__init__.py': plant('logging'),
      '.local/lib/python3.11/site-packages/evil.pth': `import os; open('/workspace/PWNED-pth', 'w').close()\n`,
      '.local/lib/python3.11/site-packages/usercustomize.py': plant('user-site'),
    };
    try {
      const taskId = await harness.createTask(
        [
          ...Object.entries(planted).map(([path, content], i): ActionInput => ({ id: `plant-${i}`, type: 'write_file', path, content })),
          sh('plant-tmp', `mkdir -p /tmp/agent && for m in __init__ health agent_runtime; do printf "%s" "$0" > /tmp/agent/$m.py; done; cp /workspace/sitecustomize.py /tmp/`, {}),
        ],
        { closeWhenEmpty: false },
      );
      const run = await startAgent(harness, taskId, {}, undefined, IMAGE, { workspaceVolume: volume });
      await waitFor('the planted files', () => result(harness, taskId, 'plant-tmp'), 30000);
      for (const [i] of Object.keys(planted).entries()) expect((await result(harness, taskId, `plant-${i}`))!.status).toBe('succeeded');

      // The image's own HEALTHCHECK command, run the way the engine runs it, and a plain python3 as an operator would.
      const healthcheck = ((await harness.docker.getImage(IMAGE).inspect()) as { Config: { Healthcheck: { Test: string[] } } }).Config.Healthcheck.Test;
      expect(healthcheck[0]).toBe('CMD');
      for (const workingDir of ['/workspace', '/workspace/agent', '/tmp']) {
        const health = await execIn(run.container, healthcheck.slice(1), { workingDir });
        expect({ workingDir, ...health }).toEqual({ workingDir, exitCode: 0, stdout: expect.stringMatching(/^loop ran /), stderr: '' });
        const plain = await execIn(run.container, ['python3', '-m', 'agent.health'], { workingDir });
        expect(plain.stdout).toMatch(/^loop ran /);
        const imports = await execIn(run.container, ['python3', '-c', 'import json, socket, logging; print("stdlib")'], { workingDir });
        expect(imports.stdout).toBe('stdlib\n');
      }
      await waitFor('docker health "healthy"', async () => (((await run.container.inspect()) as { State: { Health?: { Status: string } } }).State.Health?.Status === 'healthy' ? true : undefined), 30000);
      await harness.close(taskId);
      expect((await run.exited).exitCode).toBe(0);

      // A restart on the same workspace runs the image's runtime, not the planted one.
      const again = await harness.createTask([{ id: 'echo', type: 'run_command', argv: ['echo', 'real runtime'] }, { id: 'list', type: 'list_files', path: '.' }]);
      const restarted = await (await startAgent(harness, again, {}, undefined, IMAGE, { workspaceVolume: volume })).exited;
      expect(restarted.exitCode).toBe(0);
      expect(restarted.lines.map((l) => l.event)).toContain('registered');
      expect((await result(harness, again, 'echo'))!.stdout).toBe('real runtime\n');
      expect((await result(harness, again, 'list'))!.entries!.map((e) => e.name).filter((n) => n.startsWith('PWNED'))).toEqual([]);
    } finally {
      await harness.docker.getVolume(volume).remove({ force: true }).catch(() => undefined);
    }
  });

  it("no process a command can inspect yields the runtime's credential: /proc of every process, readable files, docker inspect", async () => {
    const probe = `
import base64, os, sys
token = base64.b64decode(sys.argv[1])  # given by the test, encoded so that this probe's own argv does not hold it
me = str(os.getpid())
found, looked = [], 0
def scan(label, data):
    global looked
    looked += 1
    if token in data:
        found.append(label)
for pid in [p for p in os.listdir('/proc') if p.isdigit() and p != me]:
    for name in ('environ', 'cmdline', 'status', 'stat', 'maps'):
        try:
            with open(f'/proc/{pid}/{name}', 'rb', buffering=0) as f:
                scan(f'/proc/{pid}/{name}', f.read(1 << 20))
        except OSError:
            pass
    try:
        regions = [line.split()[0].split('-') for line in open(f'/proc/{pid}/maps') if line.split()[1].startswith('r')]
        with open(f'/proc/{pid}/mem', 'rb', buffering=0) as mem:
            for start, end in regions:
                try:
                    mem.seek(int(start, 16)); scan(f'/proc/{pid}/mem', mem.read(min(int(end, 16) - int(start, 16), 64 << 20)))
                except (OSError, OverflowError, ValueError):
                    pass
    except OSError:
        pass
    try:
        for fd in os.listdir(f'/proc/{pid}/fd'):
            try:
                handle = os.open(f'/proc/{pid}/fd/{fd}', os.O_RDONLY | os.O_NONBLOCK)
                try:
                    scan(f'/proc/{pid}/fd/{fd}', os.read(handle, 1 << 16))
                finally:
                    os.close(handle)
            except OSError:
                pass
    except OSError:
        pass
for top in ('/workspace', '/tmp', '/run', '/var/tmp', '/dev/shm', '/etc'):
    for root, dirs, files in os.walk(top):
        for name in files:
            try:
                handle = os.open(os.path.join(root, name), os.O_RDONLY | os.O_NONBLOCK)
                try:
                    scan(os.path.join(root, name), os.read(handle, 1 << 20))
                finally:
                    os.close(handle)
            except OSError:
                pass
print('found ' + ' '.join(found) if found else f'clean after {looked} reads')
`;
    const taskId = await harness.createTask([], { closeWhenEmpty: false });
    const token = harness.agentToken(taskId);
    await harness.enqueue(taskId, [python('probe', probe, Buffer.from(token).toString('base64'))]);
    const run = await startAgent(harness, taskId);
    await waitFor('the probe', () => result(harness, taskId, 'probe'), 60000);
    const inspected = JSON.stringify(await run.container.inspect());
    await harness.close(taskId);
    const { exitCode, stdout } = await run.exited;
    expect(exitCode).toBe(0);
    expect(await result(harness, taskId, 'probe')).toMatchObject({ status: 'succeeded', stdout: expect.stringMatching(/^clean after \d+ reads\n$/) });
    expect(inspected).not.toContain(token);
    expect(stdout).not.toContain(token);
  });

  it('takes its credential from a file it removes before any action, and refuses one in the environment without printing it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-credential-'));
    chownSync(dir, 1001, 0);
    const taskId = await harness.createTask([{ id: 'look', type: 'run_command', argv: ['sh', '-c', 'ls -A /run/credential; echo done'] }]);
    writeFileSync(join(dir, 'token'), `${harness.agentToken(taskId)}\n`);
    chownSync(join(dir, 'token'), 1001, 0);
    const fromFile = await (
      await startAgent(harness, taskId, { CONTROL_PLANE_TOKEN_FILE: '/run/credential/token' }, undefined, IMAGE, { credential: 'none', binds: [`${dir}:/run/credential`] })
    ).exited;
    expect(fromFile.exitCode).toBe(0);
    expect((await result(harness, taskId, 'look'))!.stdout).toBe('done\n');
    expect(existsSync(join(dir, 'token'))).toBe(false);

    const envTask = await harness.createTask([]);
    const inEnv = await (await startAgent(harness, envTask, { CONTROL_PLANE_TOKEN: harness.agentToken(envTask) }, undefined, IMAGE, { credential: 'none' })).exited;
    expect(inEnv.exitCode).toBe(2);
    expect(inEnv.lines).toEqual([expect.objectContaining({ event: 'config_invalid', fields: expect.objectContaining({ error: expect.stringContaining('CONTROL_PLANE_TOKEN is set in the environment') }) })]);
    expect(inEnv.stdout).not.toContain(harness.agentToken(envTask));
  });

  it("a task's credential opens that task only: another task's runtime is turned away", async () => {
    const mine = await harness.createTask([{ id: 'a1', type: 'list_files', path: '.' }]);
    const other = await harness.createTask([{ id: 'injected', type: 'run_command', argv: ['echo', 'should never run'] }]);
    const { exitCode, lines } = await (await startAgent(harness, other, { AGENT_POLICY_MAX_AGE_S: '3', AGENT_POLICY_REFRESH_S: '1', AGENT_REQUEST_TIMEOUT_S: '1' }, undefined, IMAGE, { credential: harness.agentToken(mine) })).exited;
    expect({ exitCode, last: lines.at(-1) }).toMatchObject({ exitCode: 3, last: { event: 'task_rejected' } });
    expect((await harness.task(other)).results).toEqual([]);
    expect((await harness.task(other)).state).toBe('queued');
  });

  it('the workspace cannot be raced: a directory swapped for a symlink during reads, writes and listings never leads outside; FIFOs, sockets and devices are refused without blocking', async () => {
    const taskId = await harness.createTask([], { closeWhenEmpty: false });
    const run = await startAgent(harness, taskId);
    await waitFor('registration', async () => (await harness.task(taskId)).registered_agent ?? undefined);
    await execIn(run.container, ['sh', '-c', 'mkdir -p /tmp/outside && echo SENTINEL > /tmp/outside/f && : > /tmp/outside/outside-marker']);
    // The task's own process, swapping d between a real directory and a link to /tmp/outside as fast as it can.
    const swapper = execIn(run.container, [
      'sh',
      '-c',
      'end=$(( $(date +%s) + 25 )); while [ $(date +%s) -lt $end ]; do rm -rf /workspace/d.new; mkdir /workspace/d.new; echo inside > /workspace/d.new/f; : > /workspace/d.new/inside-marker; rm -rf /workspace/d; mv /workspace/d.new /workspace/d; rm -rf /workspace/d; ln -s /tmp/outside /workspace/d; done',
    ]);
    const rounds = 150;
    const raced: ActionInput[] = [];
    for (let i = 0; i < rounds; i += 1) {
      raced.push({ id: `r${i}`, type: 'read_file', path: 'd/f' }, { id: `w${i}`, type: 'write_file', path: `d/w-${i}`, content: 'x' }, { id: `l${i}`, type: 'list_files', path: 'd' });
    }
    await harness.enqueue(taskId, raced);
    await waitFor('the raced actions', async () => ((await harness.task(taskId)).results.length >= raced.length ? true : undefined), 120000);
    await swapper;
    const results = (await harness.task(taskId)).results;
    expect(results.filter((r) => r.status === 'succeeded').length).toBeGreaterThan(0);
    expect(results.filter((r) => (r.content ?? '').includes('SENTINEL'))).toEqual([]);
    expect(results.filter((r) => (r.entries ?? []).some((e) => e.name === 'outside-marker'))).toEqual([]);
    expect((await execIn(run.container, ['ls', '-A', '/tmp/outside'])).stdout.split('\n').filter(Boolean).sort()).toEqual(['f', 'outside-marker']);

    // Special files: each refused at once, and the loop goes on.
    await harness.enqueue(taskId, [
      sh('make', 'rm -rf d; mkfifo fifo && python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\'sock\')" && ln -s /dev/zero zero && ln -s /dev/null null && echo made'),
      { id: 'read-fifo', type: 'read_file', path: 'fifo' },
      { id: 'write-fifo', type: 'write_file', path: 'fifo', content: 'x' },
      { id: 'append-fifo', type: 'write_file', path: 'fifo', content: 'x', append: true },
      { id: 'read-sock', type: 'read_file', path: 'sock' },
      { id: 'write-sock', type: 'write_file', path: 'sock', content: 'x' },
      { id: 'read-zero', type: 'read_file', path: 'zero' },
      { id: 'write-null', type: 'write_file', path: 'null', content: 'x' },
      { id: 'after', type: 'run_command', argv: ['echo', 'still going'] },
    ]);
    await harness.close(taskId);
    const { exitCode } = await run.exited;
    expect(exitCode).toBe(0);
    expect((await result(harness, taskId, 'make'))!.stdout).toBe('made\n');
    for (const id of ['read-fifo', 'write-fifo', 'append-fifo', 'read-sock', 'write-sock', 'read-zero', 'write-null']) {
      expect({ id, ...(await result(harness, taskId, id)) }).toMatchObject({ id, status: 'failed', error: expect.stringContaining('refused') });
      expect((await result(harness, taskId, id))!.duration_ms).toBeLessThan(2000);
    }
    expect((await result(harness, taskId, 'after'))!.stdout).toBe('still going\n');
  });

  it('a command ends when it must: children that called setsid or double-forked die on timeout and on exit, and output is not held open by them', async () => {
    const leftovers = `import os\nfound = []\nfor p in os.listdir('/proc'):\n    if not p.isdigit() or p == str(os.getpid()):\n        continue\n    try:\n        cmd = open(f'/proc/{p}/cmdline', 'rb').read().replace(b'\\0', b' ').decode()\n    except OSError:\n        continue\n    if 'sleep 10' in cmd or 'time.sleep(10' in cmd:\n        found.append(cmd.strip())\nprint(found)`;
    const taskId = await harness.createTask([
      sh('escape', 'setsid sleep 1001 & (sleep 1002 &) ; python3 -c "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(1003)\n" & trap "" TERM; sleep 1004', { timeout_s: 2 }),
      python('after-timeout', leftovers),
      sh('daemon', 'setsid sleep 1005 & (sleep 1006 > /dev/null &); echo started'),
      python('after-exit', leftovers),
    ]);
    const { exitCode } = await (await startAgent(harness, taskId)).exited;
    expect(exitCode).toBe(0);
    expect(await result(harness, taskId, 'escape')).toMatchObject({ status: 'timed_out' });
    expect((await result(harness, taskId, 'escape'))!.duration_ms).toBeLessThan(6000);
    expect((await result(harness, taskId, 'after-timeout'))!.stdout).toBe('[]\n');
    // The daemon keeps its copy of stdout open: the result still comes at once, and the daemon is gone.
    expect(await result(harness, taskId, 'daemon')).toMatchObject({ status: 'succeeded', stdout: 'started\n' });
    expect((await result(harness, taskId, 'daemon'))!.duration_ms).toBeLessThan(3000);
    expect((await result(harness, taskId, 'after-exit'))!.stdout).toBe('[]\n');
  });

  it('SIGTERM ends the container with 143 within 10 s while a command blocks on a FIFO and its children hide in new sessions', async () => {
    const taskId = await harness.createTask([sh('blocked', 'mkfifo p; setsid sleep 1007 & trap "" TERM; cat p', { timeout_s: 600 })]);
    const run = await startAgent(harness, taskId);
    await waitFor('the command to start', async () => (await harness.task(taskId)).last_heartbeat?.current_action === 'blocked' || undefined);
    const stopping = Date.now();
    await run.container.stop({ t: 10 });
    const { exitCode, lines } = await run.exited;
    expect(Date.now() - stopping).toBeLessThan(10000);
    expect(exitCode).toBe(143);
    expect((await result(harness, taskId, 'blocked'))!.status).toBe('cancelled');
    expect(lines.at(-1)!.event).toBe('stopped');
  });

  it('a lost runtime is noticed: the container dies under a command and the control plane marks the task lost after the missed heartbeats', async () => {
    const own = await startHarness({ heartbeatIntervalS: 0.5, lostAfterMissedHeartbeats: 3 });
    try {
      // A command can no longer kill its runtime (PID 1: see audit-trail.spec.ts); the engine can, as an OOM kill would.
      const taskId = await own.createTask([sh('long', 'sleep 30')], { closeWhenEmpty: false });
      const run = await startAgent(own, taskId);
      await waitFor('the runtime to register', async () => (await own.task(taskId)).registered_agent ?? undefined);
      expect((await own.task(taskId)).state).toBe('running');
      await run.container.kill();
      await run.exited;
      const lost = await waitFor('the task to be marked lost', async () => ((await own.task(taskId)).state === 'lost' ? (await own.task(taskId)) : undefined), 15000);
      expect(lost.state).toBe('lost');
    } finally {
      await own.dispose();
    }
  });

  it('speaks https to a control plane whose CA it is given, and trusts nothing without it', async () => {
    // The server certificate names the control plane's address on the test network, as a real deployment names its host.
    let pki: TestPki | undefined;
    const certificateFor = (gateway: string) => {
      pki = makeTestPki(gateway);
      return { key: pki.key, cert: pki.cert };
    };
    const tls = await startHarness({ tls: certificateFor });
    try {
      expect(tls.controlPlaneUrl).toMatch(/^https:\/\//);
      const taskId = await tls.createTask([{ id: 'echo', type: 'run_command', argv: ['echo', 'over tls'] }]);
      const trusted = await (
        await startAgent(tls, taskId, { CONTROL_PLANE_CA_FILE: '/etc/taskforge/ca.pem', AGENT_POLICY_MAX_AGE_S: '10', AGENT_POLICY_REFRESH_S: '2' }, undefined, IMAGE, { binds: [`${pki!.caFile}:/etc/taskforge/ca.pem:ro`] })
      ).exited;
      const warnings = trusted.lines.filter((l) => l.level !== 'info').map((l) => `${l.event}: ${String(l.fields.error ?? '')}`);
      expect({ exitCode: trusted.exitCode, last: trusted.lines.at(-1)!.event, warnings }).toEqual({ exitCode: 0, last: 'task_done', warnings: [] });
      expect((await result(tls, taskId, 'echo'))!.stdout).toBe('over tls\n');

      const untrusting = await tls.createTask([{ id: 'echo', type: 'run_command', argv: ['echo', 'must not run'] }]);
      const refused = await (await startAgent(tls, untrusting, { AGENT_POLICY_MAX_AGE_S: '3', AGENT_POLICY_REFRESH_S: '1', AGENT_REQUEST_TIMEOUT_S: '1' })).exited;
      expect(refused.exitCode).toBe(3);
      expect(JSON.stringify(refused.lines)).toMatch(/TLS certificate refused: unable to get local issuer certificate/);
      expect((await tls.task(untrusting)).results).toEqual([]);
    } finally {
      await tls.dispose();
    }
  });
});
