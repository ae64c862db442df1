import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '@taskforge/testing';
import { action, logLine, type ActionInput, type LogLine } from '@taskforge/agent-contract';
import { buildControlPlane, openTaskStore, type ControlPlaneOptions, type TaskRecord } from '@taskforge/control-plane-server';
import { engineClient } from '@taskforge/engine';
import { ensureEngine } from '@taskforge/engine-setup';
import { CONTROL_PLANE_SOCKET_URL, hardenedHostConfig } from '@taskforge/run-profile';

/** The base image the harness starts by default (the e2e projects' test targets build it first). */
export const IMAGE = `openclaw-base:${readFileSync(join(REPO_ROOT, 'images/base/VERSION'), 'utf8').trim()}`;
/** The control plane's operator credential; the harness drives its task store directly, so only HTTP callers need it. */
export const OPERATOR_TOKEN = `op-${randomBytes(16).toString('hex')}`;

export const TEST_RULES = [
  { id: 'workspace-files', effect: 'allow', actions: ['read_file', 'write_file', 'list_files'] },
  { id: 'no-secrets', effect: 'deny', actions: ['*'], paths: ['secrets/*'] },
  // python3 and sh can get around no-secrets; the control plane refuses that policy unless the rule says so.
  { id: 'commands', effect: 'allow', actions: ['run_command'], commands: ['echo *', 'sleep *', 'python3 *', 'sh -c *', 'cat *'], arbitrary_code: true },
];

export interface Harness {
  docker: Docker;
  /** Unique to this harness: a prefix for the names of what a test creates (peer networks, volumes). */
  name: string;
  /** What the agents join: `none` over the socket transport, the harness's internal network over tcp. */
  network: string;
  /** CONTROL_PLANE_URL as the agents see it: CONTROL_PLANE_SOCKET_URL, or http(s)://<gateway>:<port> over tcp. */
  controlPlaneUrl: string;
  /**
   * Over the socket transport: the directory holding a task's own control plane socket, as the engine sees it (the
   * control plane makes one socket per task, `agentSocketDir`); undefined over tcp.
   */
  socketDirOf(taskId: string): string | undefined;
  policyFile: string;
  /** Rewrites the policy file: rules under a raised serial, or raw text (e.g. a broken file). */
  writePolicy(rules: unknown[] | string): void;
  createTask(actions: ActionInput[], options?: { closeWhenEmpty?: boolean; taskId?: string }): Promise<string>;
  /** The task as the control plane stores it; readable after stopControlPlane() too, until dispose(). */
  task(taskId: string): Promise<TaskRecord>;
  /** The agent token issued when the harness created the task. */
  agentToken(taskId: string): string;
  enqueue(taskId: string, actions: ActionInput[]): Promise<void>;
  close(taskId: string): Promise<void>;
  /** Stops the control plane (the agent sees connection refused from then on). */
  stopControlPlane(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A real control plane for agent containers under the hardened profile. By
 * default (the profile's own way) the agents have no network at all and reach
 * the control plane through its unix socket, bind-mounted into them; with
 * `transport: 'tcp'` (and always with `tls`) they join an internal network of
 * the harness and reach it at the network's gateway address.
 */
export interface HarnessOptions extends Pick<ControlPlaneOptions, 'heartbeatIntervalS' | 'lostAfterMissedHeartbeats'> {
  /** Serve HTTPS with a certificate made for the network's gateway address, which is only known once the network exists. */
  tls?: (gateway: string) => NonNullable<ControlPlaneOptions['tls']>;
  /** Another engine than the host's (DOCKER_HOST's), e.g. a nested one. The host's by default. */
  engine?: HarnessEngine;
  /** `socket` (default): no network, the control plane's unix socket mounted in; `tcp`: an internal network. */
  transport?: 'socket' | 'tcp';
}

/**
 * An engine whose file system is not the host's (a nested one): the control plane's socket goes into a directory
 * both see, `sharedDir.host` here and `sharedDir.engine` where that engine resolves bind mounts. Socket transport only.
 */
export interface HarnessEngine {
  docker: Docker;
  sharedDir: { host: string; engine: string };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  await ensureEngine();
  const docker = options.engine?.docker ?? engineClient();
  const name = `agent-test-${randomBytes(4).toString('hex')}`;
  const transport = options.tls ? 'tcp' : (options.transport ?? 'socket');
  if (transport === 'tcp' && options.engine) throw new Error('the harness speaks tcp only on the host engine; use the socket transport on another engine');
  const network = transport === 'tcp' ? await docker.createNetwork({ Name: name, Internal: true, Driver: 'bridge', Labels: { 'io.taskforge.test': 'agent-base' } }) : undefined;
  const gateway = network ? ((await network.inspect()) as { IPAM: { Config: Array<{ Gateway: string }> } }).IPAM.Config[0].Gateway : '';
  const policyFile = join(mkdtempSync(join(tmpdir(), 'agent-policy-')), 'policies.json');
  writeFileSync(policyFile, JSON.stringify({ serial: 1, tasks: { '*': { rules: TEST_RULES } } }));
  const { tls, engine, ...controlPlaneOptions } = options;
  // The harness's own store (SQLite beside the policy file): it stays open after stopControlPlane(), so a test can still read its tasks.
  const tasks = openTaskStore({ dataDir: join(dirname(policyFile), 'tasks') });
  await tasks.open();
  // Over the socket transport the control plane makes one socket per task below hostSocketDir, the way it runs in
  // production (CONTROL_PLANE_AGENT_SOCKET_DIR); the agent user (1001, or any UID in group 0) traverses the directory.
  const hostSocketDir = transport === 'socket' ? (engine ? join(engine.sharedDir.host, name) : mkdtempSync(join(tmpdir(), 'agent-control-plane-'))) : undefined;
  if (hostSocketDir) {
    mkdirSync(hostSocketDir, { recursive: true });
    chmodSync(hostSocketDir, 0o755);
  }
  const { app, agentSockets } = buildControlPlane({ ...controlPlaneOptions, tls: tls?.(gateway), policyFile, operatorToken: OPERATOR_TOKEN, store: tasks, agentSocketDir: hostSocketDir });
  const agentTokens = new Map<string, string>();
  let serial = 1;
  let controlPlaneUrl: string;
  if (hostSocketDir) {
    await app.ready();
    controlPlaneUrl = CONTROL_PLANE_SOCKET_URL;
  } else {
    controlPlaneUrl = await app.listen({ host: gateway, port: 0 });
  }
  const socketDirOf = (taskId: string) => {
    if (!hostSocketDir) return undefined;
    // A task the harness did not create (a test of refusals) still gets a directory to mount, with no socket in it.
    mkdirSync(join(hostSocketDir, taskId), { recursive: true, mode: 0o755 });
    return engine ? `${engine.sharedDir.engine}/${name}/${taskId}` : join(hostSocketDir, taskId);
  };
  let running = true;
  const stop = async () => {
    if (running) await app.close();
    running = false;
  };
  return {
    docker,
    name,
    network: network ? name : 'none',
    controlPlaneUrl,
    socketDirOf,
    policyFile,
    writePolicy: (rules) => {
      serial += 1;
      writeFileSync(policyFile, typeof rules === 'string' ? rules : JSON.stringify({ serial, tasks: { '*': { rules } } }));
    },
    createTask: async (actions, options) => {
      const { task, agentToken } = await tasks.create(actions.map((a) => action.parse(a)), { closeWhenEmpty: options?.closeWhenEmpty, taskId: options?.taskId });
      agentTokens.set(task.task_id, agentToken);
      // Created in the store directly, not through POST /v1/tasks: its socket comes with it all the same.
      await agentSockets?.ensure(task.task_id);
      return task.task_id;
    },
    task: (taskId) => tasks.get(taskId),
    agentToken: (taskId) => {
      const token = agentTokens.get(taskId);
      if (token === undefined) throw new Error(`task ${taskId} was not created by this harness`);
      return token;
    },
    enqueue: async (taskId, actions) => {
      await tasks.enqueue(taskId, actions.map((a) => action.parse(a)));
    },
    close: async (taskId) => {
      await tasks.closeTask(taskId);
    },
    stopControlPlane: stop,
    dispose: async () => {
      await stop();
      await tasks.close();
      await network?.remove().catch(() => undefined);
      if (hostSocketDir) rmSync(hostSocketDir, { recursive: true, force: true });
    },
  };
}

export interface AgentRun {
  container: Docker.Container;
  /** Resolves when the container exits. */
  exited: Promise<{ exitCode: number; lines: LogLine[]; stdout: string; stderr: string }>;
}

export interface AgentStartOptions {
  /** What is written to the runtime's standard input: the task's own credential by default, another string, or nothing. */
  credential?: 'own' | 'none' | string;
  /** Host paths to bind (`host:container[:ro]`), e.g. a CA file or a credential directory. */
  binds?: string[];
  /** A named volume as /workspace instead of the profile's tmpfs (to keep the workspace across runs). */
  workspaceVolume?: string;
}

/**
 * Starts the agent image for a task under the hardened run profile, on the harness network. The credential goes
 * in the way the README says to start an agent: written to its standard input (`docker run -i ... <<< "$TOKEN"`).
 */
export async function startAgent(harness: Harness, taskId: string, env: Record<string, string> = {}, user?: string, image = IMAGE, options: AgentStartOptions = {}): Promise<AgentRun> {
  const credential = options.credential ?? 'own';
  const hostConfig = hardenedHostConfig({ network: harness.network, controlPlaneSocketDir: harness.socketDirOf(taskId), workspace: options.workspaceVolume ? { volume: options.workspaceVolume } : undefined });
  const container = await harness.docker.createContainer({
    Image: image,
    Env: Object.entries({ TASK_ID: taskId, CONTROL_PLANE_URL: harness.controlPlaneUrl, AGENT_POLL_INTERVAL_S: '0.1', ...env }).map(([k, v]) => `${k}=${v}`),
    User: user,
    HostConfig: { ...hostConfig, Binds: options.binds },
    Labels: { 'io.taskforge.test': 'agent-base' },
    OpenStdin: credential !== 'none',
    StdinOnce: credential !== 'none',
    AttachStdin: credential !== 'none',
  });
  if (credential !== 'none') {
    const stdin = (await container.attach({ stream: true, stdin: true, hijack: true })) as NodeJS.ReadWriteStream;
    await container.start();
    stdin.end(`${credential === 'own' ? harness.agentToken(taskId) : credential}\n`);
  } else {
    await container.start();
  }
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
