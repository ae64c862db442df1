import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** The socket's file name in a task's directory; the runtime's CONTROL_PLANE_URL names it (libs/run-profile). */
export const AGENT_SOCKET_FILE = 'control-plane.sock';
/** A runtime keeps two connections (its loop and its heartbeat thread); the rest of the cap is room for reconnects. */
export const AGENT_SOCKET_DEFAULT_MAX_CONNECTIONS = 8;
/**
 * How long a task's socket outlives the task: a runtime that was frozen or cut off and comes back is told the task
 * is lost or done (410) and exits at once, rather than finding no socket and retrying until its policy expires.
 */
export const AGENT_SOCKET_DEFAULT_RETIRE_AFTER_MS = 60_000;
/** Longest path bind(2) takes for a unix socket (sun_path, with its terminating NUL). */
const SUN_PATH_MAX = 107;
const TASK_DIRECTORY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * One unix socket per task, in `<dir>/<task id>/control-plane.sock`: the
 * orchestrator mounts that directory (and only it) into the task's container
 * at /run/taskforge. A connection on it speaks for that task alone: agent
 * routes of another task and every operator route are refused there, and it
 * takes at most `maxConnections` connections at once, so a task that opens
 * connections without end exhausts its own socket, never the control plane's
 * descriptors or the other tasks' service.
 */
export class AgentSockets {
  private readonly listening = new Map<string, { server: Server; connections: Set<Socket>; alias?: string }>();
  private readonly taskOfSocket = new WeakMap<Socket, string>();
  /** When (monotonic ms) each listening task was first seen no longer served. */
  private readonly endedAt = new Map<string, number>();

  constructor(
    private readonly dir: string,
    private readonly http: () => HttpServer,
    private readonly maxConnections = AGENT_SOCKET_DEFAULT_MAX_CONNECTIONS,
    private readonly retireAfterMs = AGENT_SOCKET_DEFAULT_RETIRE_AFTER_MS,
  ) {}

  /** The task a connection came in for, when it came through a task's socket. */
  taskOf(socket: Socket): string | undefined {
    return this.taskOfSocket.get(socket);
  }

  /** The directory to mount into the task's container. */
  directoryOf(taskId: string): string {
    if (!TASK_DIRECTORY.test(taskId)) throw new Error(`task id ${JSON.stringify(taskId)} cannot name a socket directory`);
    return join(this.dir, taskId);
  }

  /** Listens on the task's socket (again, after a restart); nothing when it already does. */
  async ensure(taskId: string): Promise<string> {
    const directory = this.directoryOf(taskId);
    if (this.listening.has(taskId)) return directory;
    mkdirSync(directory, { recursive: true });
    chmodSync(directory, 0o755);
    const path = join(directory, AGENT_SOCKET_FILE);
    if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path); // left by a control plane that stopped
    const connections = new Set<Socket>();
    const server = createServer((socket) => {
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
      this.taskOfSocket.set(socket, taskId);
      this.http().emit('connection', socket);
    });
    server.maxConnections = this.maxConnections;
    const alias = await listenAt(server, directory);
    chmodSync(path, 0o666); // the agent user of the container (1001, or any UID in group 0) connects
    this.listening.set(taskId, { server, connections, alias });
    return directory;
  }

  /**
   * Stops listening on a task's socket (closing removes the socket file). For a task that is done or lost the
   * directory goes too; on shutdown it stays, since a running container has that very directory mounted and sees the
   * socket a restarted control plane makes in it.
   */
  async retire(taskId: string, removeDirectory = true): Promise<void> {
    const listening = this.listening.get(taskId);
    if (!listening) return;
    this.listening.delete(taskId);
    // close() waits for every connection to end, and a runtime keeps its own alive: end them.
    const closed = new Promise<void>((resolve) => listening.server.close(() => resolve()));
    for (const socket of listening.connections) socket.destroy();
    await closed;
    if (listening.alias) rmSync(listening.alias, { recursive: true, force: true });
    if (removeDirectory) rmSync(this.directoryOf(taskId), { recursive: true, force: true });
  }

  /** Listens for the tasks still served (queued or running), whichever replica created them; retires the others once they have been over for `retireAfterMs`. */
  async sync(liveTaskIds: readonly string[], now = performance.now()): Promise<void> {
    const live = new Set(liveTaskIds);
    for (const taskId of live) {
      this.endedAt.delete(taskId);
      if (TASK_DIRECTORY.test(taskId)) await this.ensure(taskId);
    }
    for (const taskId of [...this.listening.keys()]) {
      if (live.has(taskId)) continue;
      const ended = this.endedAt.get(taskId) ?? now;
      this.endedAt.set(taskId, ended);
      if (now - ended >= this.retireAfterMs) {
        this.endedAt.delete(taskId);
        await this.retire(taskId);
      }
    }
  }

  async closeAll(): Promise<void> {
    for (const taskId of [...this.listening.keys()]) await this.retire(taskId, false);
  }
}

/**
 * Listens on `<directory>/control-plane.sock`, also where that path is longer than bind(2) takes: then through a
 * short alias, a temporary directory holding a link to `directory` (bind follows it), which stays while the server
 * listens so that closing removes the socket file through it. Returns the alias to remove after closing.
 */
async function listenAt(server: Server, directory: string): Promise<string | undefined> {
  const path = join(directory, AGENT_SOCKET_FILE);
  let alias: string | undefined;
  let bindPath = path;
  if (Buffer.byteLength(path) > SUN_PATH_MAX) {
    alias = mkdtempSync(join(tmpdir(), 'tf-'));
    symlinkSync(directory, join(alias, 'd'));
    bindPath = join(alias, 'd', AGENT_SOCKET_FILE);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bindPath, () => resolve());
  });
  return alias;
}
