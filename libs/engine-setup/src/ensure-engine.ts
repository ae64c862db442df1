import { existsSync } from 'node:fs';
import { engineAddress, engineClient, isEngineReachable, resolveRegistry } from '@taskforge/engine';
import { UserError } from '@taskforge/user-errors';
import { startDetached, waitFor } from './background-process';
import { ENGINE_PACKAGES, ensureDebianPackages } from './debian-packages';
import { enginePaths } from './engine-state';
import { registryAnswers, writeRegistryConfig } from './registry-server';

export interface EnsureEngineResult {
  engine: 'found' | 'started';
  registry: 'found' | 'started' | 'remote';
}

const LOCAL_REGISTRY = /^(localhost|127\.0\.0\.1):(\d+)$/;

/**
 * Makes sure a Docker Engine and the configured registry answer. What already
 * answers is used as is; otherwise, as root on Debian, the Debian packages are
 * installed and dockerd and a registry on 127.0.0.1 are started in the
 * background. Running it again changes nothing.
 */
export async function ensureEngine(log: (line: string) => void = () => undefined): Promise<EnsureEngineResult> {
  const paths = enginePaths();
  const docker = engineClient();
  const result: EnsureEngineResult = { engine: 'found', registry: 'found' };

  if (!(await isEngineReachable(docker, 2000))) {
    if (process.env.DOCKER_HOST) {
      throw new UserError(`DOCKER_HOST=${process.env.DOCKER_HOST} does not answer: start that engine, or unset DOCKER_HOST to let \`npm run engine:up\` start a local one.`);
    }
    ensureDebianPackages(ENGINE_PACKAGES, log);
    log(`starting dockerd (log: ${paths.dockerdLog})`);
    startDetached('dockerd', ['--host', engineAddress(), '--pidfile', `${paths.stateDir}/dockerd.daemon.pid`], paths.dockerdLog, paths.dockerdPid);
    if (!(await waitFor(() => isEngineReachable(docker, 1000), 60000))) {
      throw new UserError(`dockerd did not answer within 60 s: see ${paths.dockerdLog}.`);
    }
    result.engine = 'started';
  } else {
    ensureDebianPackages(['mmdebstrap'], log);
  }

  const registry = resolveRegistry();
  const local = LOCAL_REGISTRY.exec(registry);
  if (!local) {
    result.registry = 'remote';
  } else if (!(await registryAnswers(registry))) {
    ensureDebianPackages(['docker-registry'], log);
    const listen = `127.0.0.1:${local[2]}`;
    writeRegistryConfig(paths.registryConfig, { listen, dataDir: paths.registryData });
    log(`starting a registry on ${listen} (data: ${paths.registryData}, log: ${paths.registryLog})`);
    const bin = existsSync('/usr/bin/docker-registry') ? '/usr/bin/docker-registry' : 'docker-registry';
    startDetached(bin, ['serve', paths.registryConfig], paths.registryLog, paths.registryPid);
    if (!(await waitFor(() => registryAnswers(registry, 1000), 30000))) {
      throw new UserError(`The registry did not answer on ${registry} within 30 s: see ${paths.registryLog}.`);
    }
    result.registry = 'started';
  }
  return result;
}
