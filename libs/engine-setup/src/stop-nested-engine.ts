import { engineClient, isEngineReachable } from '@taskforge/engine';
import { nestedEnginePaths } from './engine-state';
import { nestedEngineContainerName } from './nested-engine-container';
import { nestedEngineName, type NestedEngineChoice } from './nested-engines';
import { refuseNestedEnvironment } from './nested-environment';

/**
 * Stops and removes a nested engine's container; its data directory stays, so the next `up` starts warm. A
 * nested engine that is not there (or a host engine that is down) is nothing to do.
 */
export async function stopNestedEngine(choice: NestedEngineChoice, log: (line: string) => void): Promise<void> {
  refuseNestedEnvironment();
  const docker = engineClient();
  const name = nestedEngineName(choice);
  if (!(await isEngineReachable(docker, 2000))) {
    log(`nested engine ${name} is not running (the host engine does not answer)`);
    return;
  }
  const container = docker.getContainer(nestedEngineContainerName(choice));
  try {
    // `stop` waits the container's StopTimeout, in which dockerd stops its own containers.
    await container.stop().catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 304) throw error;
    });
    await container.remove();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    log(`nested engine ${name} is not running`);
    return;
  }
  log(`nested engine ${name} stopped (data kept in ${nestedEnginePaths(name).dir})`);
}
