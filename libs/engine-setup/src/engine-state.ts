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
