import { join } from 'node:path';

/**
 * Where the engine and registry this tool starts keep their state. It lives
 * outside the checkout so every clone on the machine shares one engine and
 * one registry (and their caches).
 */
export function engineStateDir(): string {
  return process.env.TASKFORGE_ENGINE_DIR || '/var/lib/taskforge-engine';
}

export function enginePaths(stateDir = engineStateDir()) {
  return {
    stateDir,
    dockerdLog: join(stateDir, 'dockerd.log'),
    dockerdPid: join(stateDir, 'dockerd.pid'),
    registryConfig: join(stateDir, 'registry', 'config.yml'),
    registryData: join(stateDir, 'registry', 'data'),
    registryLog: join(stateDir, 'registry', 'registry.log'),
    registryPid: join(stateDir, 'registry', 'registry.pid'),
  };
}

/**
 * Where one nested engine lives on the host: a directory of its own under the state dir, bind-mounted into its
 * container, so its socket is reachable from the host and its images survive `engine:down` (a restart is warm).
 */
export function nestedEnginePaths(name: string, stateDir = engineStateDir()) {
  const dir = join(stateDir, 'nested', name);
  return {
    dir,
    /** The nested engine's API socket, for DOCKER_HOST. */
    socket: join(dir, 'docker.sock'),
    /** Its data root (images, containers, the containerd it supervises): a host directory, never overlay on overlay. */
    dataRoot: join(dir, 'data'),
    daemonConfig: join(dir, 'daemon.json'),
    dockerdLog: join(dir, 'dockerd.log'),
    registryConfig: join(dir, 'registry.yml'),
    registryData: join(dir, 'registry'),
    registryLog: join(dir, 'registry.log'),
    /** Files the host puts where the nested engine's containers can bind-mount them (a control plane's unix socket). */
    shared: join(dir, 'shared'),
  };
}

export type NestedEnginePaths = ReturnType<typeof nestedEnginePaths>;
