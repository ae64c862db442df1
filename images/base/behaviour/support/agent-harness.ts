import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, runNxOrThrow } from '../../../../tools/nx-images/test/support/fixture-workspace';

export { REPO_ROOT };
import { action, logLine, type ActionInput, type LogLine } from '@taskforge/agent-contract';
import { buildControlPlane, type TaskRecord } from '@taskforge/control-plane';
import { engineClient } from '@taskforge/engine';
import { ensureEngine } from '@taskforge/engine-setup';
import { hardenedHostConfig } from '@taskforge/run-profile';

export const IMAGE = `openclaw-base:${readFileSync(join(REPO_ROOT, 'images/base/VERSION'), 'utf8').trim()}`;
export const TOKEN = `cp-${randomBytes(8).toString('hex')}`;

export const TEST_RULES = [
  { id: 'workspace-files', effect: 'allow', actions: ['read_file', 'write_file', 'list_files'] },
  { id: 'no-secrets', effect: 'deny', actions: ['*'], paths: ['secrets/*'] },
  { id: 'commands', effect: 'allow', actions: ['run_command'], commands: ['echo *', 'sleep *', 'python3 *', 'sh -c *', 'cat *'] },
];

/** Builds (or reuses) the image through the repo's own build-image target. */
export function buildImageUnderTest(): void {
  runNxOrThrow(['run', 'agent-base:build-image']);
}

export interface Harness {
  docker: Docker;
  network: string;
  controlPlaneUrl: string;
  policyFile: string;
  createTask(actions: ActionInput[], options?: { closeWhenEmpty?: boolean; taskId?: string }): string;
  task(taskId: string): TaskRecord;
  enqueue(taskId: string, actions: ActionInput[]): void;
  close(taskId: string): void;
  /** Stops the control plane (the agent sees connection refused from then on). */
  stopControlPlane(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * An internal Docker network (no route out) and a real control plane
 * listening on the network's gateway address, where agent containers on that
 * network reach it and nothing else.
 */
export async function startHarness(): Promise<Harness> {
  await ensureEngine();
  const docker = engineClient();
  const name = `agent-test-${randomBytes(4).toString('hex')}`;
  const network = await docker.createNetwork({ Name: name, Internal: true, Driver: 'bridge', Labels: { 'io.taskforge.test': 'agent-base' } });
  const gateway = ((await network.inspect()) as { IPAM: { Config: Array<{ Gateway: string }> } }).IPAM.Config[0].Gateway;
  const policyFile = join(mkdtempSync(join(tmpdir(), 'agent-policy-')), 'policies.json');
  writeFileSync(policyFile, JSON.stringify({ tasks: { '*': { rules: TEST_RULES } } }));
  const { app, tasks } = buildControlPlane({ policyFile, token: TOKEN });
  const controlPlaneUrl = await app.listen({ host: gateway, port: 0 });
  let running = true;
  return {
    docker,
    network: name,
    controlPlaneUrl,
    policyFile,
    createTask: (actions, options) => tasks.create(actions.map((a) => action.parse(a)), { closeWhenEmpty: options?.closeWhenEmpty, taskId: options?.taskId }).task_id,
    task: (taskId) => tasks.get(taskId),
    enqueue: (taskId, actions) => tasks.enqueue(taskId, actions.map((a) => action.parse(a))),
    close: (taskId) => tasks.close(taskId),
    stopControlPlane: async () => {
      if (running) await app.close();
      running = false;
    },
    dispose: async () => {
      if (running) await app.close();
      await network.remove().catch(() => undefined);
    },
  };
}

export interface AgentRun {
  container: Docker.Container;
  /** Resolves when the container exits. */
  exited: Promise<{ exitCode: number; lines: LogLine[]; stdout: string; stderr: string }>;
}

/** Starts the agent image for a task under the hardened run profile, on the harness network. */
export async function startAgent(harness: Harness, taskId: string, env: Record<string, string> = {}, user?: string, image = IMAGE): Promise<AgentRun> {
  const container = await harness.docker.createContainer({
    Image: image,
    Env: Object.entries({ TASK_ID: taskId, CONTROL_PLANE_URL: harness.controlPlaneUrl, CONTROL_PLANE_TOKEN: TOKEN, AGENT_POLL_INTERVAL_S: '0.1', ...env }).map(([k, v]) => `${k}=${v}`),
    User: user,
    HostConfig: hardenedHostConfig({ network: harness.network }),
    Labels: { 'io.taskforge.test': 'agent-base' },
  });
  await container.start();
  const exited = (async () => {
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    // Logs come multiplexed (8-byte frame headers) since the container has no TTY.
    const stdout = demux(await container.logs({ stdout: true, stderr: false }));
    const stderr = demux(await container.logs({ stdout: false, stderr: true }));
    await container.remove({ force: true }).catch(() => undefined);
    return { exitCode: StatusCode, lines: stdout.split('\n').filter(Boolean).map((line) => logLine.parse(JSON.parse(line))), stdout, stderr };
  })();
  return { container, exited };
}

function demux(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function healthOf(container: Docker.Container): Promise<string | undefined> {
  const info = (await container.inspect()) as { State: { Health?: { Status: string } } };
  return info.State.Health?.Status;
}
