import { stopPid } from './background-process';
import { enginePaths } from './engine-state';

/** Stops what ensureEngine started (and nothing it found already running). */
export async function stopEngine(log: (line: string) => void): Promise<void> {
  const paths = enginePaths();
  if (await stopPid(paths.registryPid)) log('registry stopped');
  if (await stopPid(paths.dockerdPid, 30000)) log('dockerd stopped');
}
