import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type Docker from 'dockerode';
import { engineAddress, engineClient, engineFacts, isEngineReachable } from '@taskforge/engine';
import { UserError } from '@taskforge/user-errors';
import { waitFor } from './background-process';
import { nestedEnginePaths, type NestedEnginePaths } from './engine-state';
import { ensureEngine } from './ensure-engine';
import { nestedDaemonConfig, nestedEngineContainerName, nestedEngineCreateOptions, nestedRegistryConfig, SPEC_LABEL, STATE_MOUNT } from './nested-engine-container';
import { ensureNestedEngineImage } from './nested-engine-image';
import { refuseNestedEnvironment } from './nested-environment';
import { NESTED_REGISTRY_PORTS, nestedEngineName, type NestedEngineChoice } from './nested-engines';
import { registryAnswers } from './registry-server';

export interface NestedEngine {
  /** Which engine and store this is. */
  choice: NestedEngineChoice;
  /** DOCKER_HOST of the host engine its container runs in (for what reaches into the container, whatever DOCKER_HOST says later). */
  hostEngine: string;
  /** `unix:///var/lib/taskforge-engine/nested/28.5-containerd/docker.sock`: DOCKER_HOST for it. */
  dockerHost: string;
  /** `127.0.0.1:5286`: its own registry, the same address from the host and from the nested engine. */
  registry: string;
  /** The server version it reports, e.g. `28.5.2+dfsg4`. */
  engineVersion: string;
  /** Its API version, e.g. `1.51`. */
  apiVersion: string;
  /**
   * A directory both sides see: `host` is its path for this process, `engine` the path the nested engine resolves a
   * bind mount's source in (where a control plane's socket is put for its agent containers).
   */
  sharedDir: { host: string; engine: string };
  /** `found`: it was running as asked already; `started`: this call created (or replaced) its container. */
  state: 'found' | 'started';
}

/** How long a fresh nested engine may take to answer (a warm start takes a few seconds). */
const START_TIMEOUT_MS = 60_000;

/** Writes a file only when its content differs, so a second `up` touches nothing. */
function writeIfChanged(file: string, content: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function lastLines(file: string, count: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join(' | ');
  } catch {
    return '(no log yet)';
  }
}

async function containerState(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** Creates and starts the container; a concurrent `up` that created it first wins, and this one waits for it. */
async function startContainer(docker: Docker, options: Docker.ContainerCreateOptions): Promise<void> {
  try {
    await (await docker.createContainer(options)).start();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 409) throw error;
  }
}

async function waitUntilAnswering(docker: Docker, choice: NestedEngineChoice, paths: NestedEnginePaths, registry: string): Promise<void> {
  const name = nestedEngineContainerName(choice);
  let exited: Docker.ContainerInspectInfo | undefined;
  const answering = await waitFor(async () => {
    const state = await containerState(docker, name);
    if (!state?.State.Running) {
      exited = state;
      return true;
    }
    return (await isEngineReachable(engineClient(`unix://${paths.socket}`), 1000)) && (await registryAnswers(registry, 1000));
  }, START_TIMEOUT_MS);
  if (answering && !exited) return;
  const why = exited
    ? `its container ${name} exited with code ${exited.State.ExitCode} (\`docker logs ${name}\` has the start script's output)`
    : `it did not answer on ${paths.socket} and http://${registry}/v2/ within ${START_TIMEOUT_MS / 1000} s`;
  throw new UserError(`The nested engine ${nestedEngineName(choice)} did not start: ${why}. Last lines of ${paths.dockerdLog}: ${lastLines(paths.dockerdLog, 5)}`);
}

/**
 * Makes sure a nested engine of this version and image store runs in a container of the host engine, with its
 * registry, and answers. The host engine comes first (ensureEngine), then the engine's root image (built once), then
 * the container: left alone when it runs as this code would create it, replaced otherwise. Its data directory
 * outlives the container, so a restart finds its images. Running it again changes nothing.
 */
export async function ensureNestedEngine(choice: NestedEngineChoice, log: (line: string) => void = () => undefined): Promise<NestedEngine> {
  refuseNestedEnvironment();
  await ensureEngine(log);
  const docker = engineClient();
  const name = nestedEngineName(choice);
  const paths = nestedEnginePaths(name);
  const registry = `127.0.0.1:${NESTED_REGISTRY_PORTS[name]}`;

  const image = await ensureNestedEngineImage(docker, choice.engine, log);
  mkdirSync(paths.dataRoot, { recursive: true });
  mkdirSync(paths.registryData, { recursive: true });
  mkdirSync(paths.shared, { recursive: true });
  writeIfChanged(paths.daemonConfig, nestedDaemonConfig(choice));
  writeIfChanged(paths.registryConfig, nestedRegistryConfig(choice));

  const options = nestedEngineCreateOptions(choice, image, paths);
  const existing = await containerState(docker, options.name!);
  let state: NestedEngine['state'] = 'found';
  if (!existing?.State.Running || existing.Config.Labels?.[SPEC_LABEL] !== options.Labels![SPEC_LABEL]) {
    if (existing) {
      log(`replacing ${options.name} (${existing.State.Running ? 'created from an older spec' : 'not running'})`);
      await docker.getContainer(options.name!).remove({ force: true });
    }
    log(`starting the nested engine ${name} (container ${options.name}, data: ${paths.dir}, log: ${paths.dockerdLog})`);
    await startContainer(docker, options);
    state = 'started';
  }
  await waitUntilAnswering(docker, choice, paths, registry);
  const dockerHost = `unix://${paths.socket}`;
  const facts = await engineFacts(engineClient(dockerHost));
  const sharedDir = { host: paths.shared, engine: `${STATE_MOUNT}/${relative(paths.dir, paths.shared)}` };
  return { choice, hostEngine: engineAddress(), dockerHost, registry, engineVersion: facts.version, apiVersion: facts.api.engineApi, sharedDir, state };
}
