import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { engineClient, inspectLocalImage, pushAs, removeImage } from '@taskforge/engine';
import { ensureNestedEngine, IMAGE_STORES, NESTED_ENGINES, nestedEngineName, type NestedEngine, type NestedEngineChoice } from '@taskforge/engine-setup';
import { CONTENT_KEY_LABEL } from '@taskforge/image-model';
import { type CommandResult, createFixtureWorkspace, type FixtureWorkspace, release, repoImage } from '@taskforge/testing';

/**
 * The nested engines `npm test` runs the scenarios on: Docker 28.5 with the containerd image store (what GitHub's
 * runners and fresh Docker installs have), 26.1 with the classic store (Debian 13's), and 26.1 with the containerd
 * store, whose refusal takes seconds. TASKFORGE_TEST_ENGINES names others (`28.5-classic`) or `all`.
 */
export function enginesUnderTest(env: NodeJS.ProcessEnv = process.env): NestedEngineChoice[] {
  const every = (Object.keys(NESTED_ENGINES) as NestedEngineChoice['engine'][]).flatMap((engine) => IMAGE_STORES.map((store) => ({ engine, store })));
  const asked = env.TASKFORGE_TEST_ENGINES?.trim();
  if (!asked) return [{ engine: '28.5', store: 'containerd' }, { engine: '26.1', store: 'classic' }, { engine: '26.1', store: 'containerd' }];
  if (asked === 'all') return every;
  return asked.split(',').map((name) => {
    const choice = every.find((candidate) => nestedEngineName(candidate) === name.trim());
    if (!choice) throw new Error(`TASKFORGE_TEST_ENGINES: ${name} is none of ${every.map(nestedEngineName).join(', ')} (or all)`);
    return choice;
  });
}

/** The base graph of this repo in a workspace of its own, pointed at one nested engine and its registry. */
export interface EngineScenario {
  choice: NestedEngineChoice;
  engine: NestedEngine;
  /**
   * IMAGE_REGISTRY of this run: the nested engine's registry under a namespace of the run's own
   * (`127.0.0.1:5286/run-<suffix>`). That registry outlives runs, and a published version is never overwritten.
   */
  registry: string;
  /** A client of the nested engine. */
  docker: Docker;
  fixture: FixtureWorkspace;
  /** Nx in the fixture with DOCKER_HOST and IMAGE_REGISTRY naming the nested engine, as a user's exports do. */
  nx(args: string[], env?: NodeJS.ProcessEnv): CommandResult;
  /** `nx release ...args` there, the same way, signing with the fixture key. */
  release(args: string[], env?: NodeJS.ProcessEnv): Promise<CommandResult>;
  /** The content key the fixture's build record gives a project. */
  contentKey(project: string): string | undefined;
  /** Deletes the fixture, and the host's tag of the root image it pushed (the nested engine keeps its images). */
  remove(): Promise<void>;
}

/**
 * Starts (or finds) the nested engine and lays out a fixture holding this checkout's `images/python-runtime` and
 * `images/base`, as a machine that has never built them. The registry already holds python-runtime's content tag,
 * as a shared registry does for a fresh CI machine: the host's build of the same sources (the same key) is pushed
 * there, and the nested engine's own copy removed, so the run reuses it from the registry. The base gets a file of
 * this run in its build context, so its key is new and the engine builds it.
 */
export async function startEngineScenario(choice: NestedEngineChoice, print: (line: string) => void): Promise<EngineScenario> {
  const engine = await ensureNestedEngine(choice, print);
  const docker = engineClient(engine.dockerHost);
  const suffix = randomBytes(4).toString('hex');
  const registry = `${engine.registry}/run-${suffix}`;
  const fixture = createFixtureWorkspace({ git: true, release: true, repoImages: ['images/python-runtime', 'images/base'], registry });
  fixture.write('images/base/.engine-scenario-run', `${suffix}\n`);
  fixture.git(['add', '-A']);
  fixture.git(['commit', '-qm', 'test: a run of its own']);

  const host = engineClient();
  const runtime = await inspectLocalImage(host, await repoImage('python-runtime'));
  const runtimeContent = `openclaw-python:ck-${runtime!.labels[CONTENT_KEY_LABEL]}`;
  await pushAs(host, runtime!.id, `${registry}/${runtimeContent}`);
  for (const reference of [runtimeContent, `${registry}/${runtimeContent}`]) await removeImage(docker, reference, true);

  const env = { DOCKER_HOST: engine.dockerHost, IMAGE_REGISTRY: registry };
  return {
    choice,
    engine,
    registry,
    docker,
    fixture,
    nx: (args, extra) => fixture.nx(args, { ...env, ...extra }),
    release: (args, extra) => release(fixture, args, { ...env, ...extra }),
    contentKey: (project) => fixture.record(project)?.contentKey,
    remove: async () => {
      fixture.remove();
      await removeImage(host, `${registry}/${runtimeContent}`);
    },
  };
}

/** `sha256:...` the registry gives for repository:tag, any manifest or index type, asked from the host; `registry` may name a namespace after the host. */
export async function registryDigest(registry: string, repository: string, tag: string): Promise<string | null> {
  const [host, ...namespace] = registry.split('/');
  repository = [...namespace, repository].join('/');
  const accept = [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.docker.distribution.manifest.v2+json',
  ].join(', ');
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: accept } });
  return response.status === 200 ? response.headers.get('docker-content-digest') : null;
}

/** The lines of a build-image run that say what happened to each image: `[project] built: ...`, `reused from ...`. */
export function outcomes(output: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of output.matchAll(/^\[([\w-]+)\] (built|reused from engine|reused from registry): /gm)) found[match[1]] = match[2];
  return found;
}
