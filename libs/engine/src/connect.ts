import type Docker from 'dockerode';
import { UserError } from '@taskforge/user-errors';
import { negotiateApiVersion } from './api-version';

const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';

/** Where the engine is expected, as the user would write it in DOCKER_HOST. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST || DEFAULT_SOCKET;
}

/**
 * A client for the engine named by DOCKER_HOST (or the default socket), or by `address` (`unix:///path` or
 * `tcp://host:port`, as DOCKER_HOST writes it), speaking the API version both sides know.
 */
export function engineClient(address?: string): Docker {
  // Loaded on first use: the Nx plugin imports this library to build the project graph, which needs no engine.
  // `require` keeps the CommonJS constructor whichever transpiler loads this (Nx's plugin worker has no interop helper).
  const DockerClient = require('dockerode') as typeof Docker;
  const client = new DockerClient(address === undefined ? undefined : clientOptions(address));
  negotiateApiVersion(client, address ?? engineAddress());
  return client;
}

function clientOptions(address: string): Docker.DockerOptions {
  if (address.startsWith('unix://')) return { socketPath: address.slice('unix://'.length) };
  const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(address);
  if (tcp) return { host: tcp[1], port: Number(tcp[2]) };
  throw new UserError(`Engine address ${address}: expected unix:///path/to/docker.sock or tcp://host:port.`);
}

function engineUnreachable(reason: string): UserError {
  const where = process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : `${DEFAULT_SOCKET} (DOCKER_HOST is not set)`;
  return new UserError(
    `Docker Engine not reachable at ${where}: ${reason}. Start one with \`npm run engine:up\` (installs and starts dockerd as root on Debian), or point DOCKER_HOST at a running engine.`,
  );
}

/** Resolves when the engine answers a ping; rejects with a one-line UserError otherwise. */
export async function assertEngineReachable(docker: Docker, timeoutMs = 3000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(engineUnreachable(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([docker.ping(), timeout]);
  } catch (error) {
    if (error instanceof Error && error.name === 'UserError') throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw engineUnreachable(code ?? (error as Error).message);
  } finally {
    clearTimeout(timer);
  }
}

export async function isEngineReachable(docker: Docker, timeoutMs = 3000): Promise<boolean> {
  try {
    await assertEngineReachable(docker, timeoutMs);
    return true;
  } catch {
    return false;
  }
}
