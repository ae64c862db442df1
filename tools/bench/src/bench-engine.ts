import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HarnessEngine } from '@taskforge/agent-harness';
import { engineClient, pullImage, pushAs, tagImage } from '@taskforge/engine';
import { ensureNestedEngine, nestedEngineName, parseEngineChoice } from '@taskforge/engine-setup';
import { UserError } from '@taskforge/user-errors';
import { REPO_ROOT, repoImage } from '@taskforge/testing';

/** The sections that measure the engine itself, and so run on a nested one too. */
export const NESTED_SECTIONS = ['no-change', 'work-graph', 'agent'] as const;

/** The engine a benchmark run measures: the host's, or one `engine:up --engine=... --store=...` starts nested. */
export interface BenchEngine {
  /** For the table: `host` or `28.5-containerd`. */
  name: string;
  nested: boolean;
  /** For the agent harness on a nested engine, whose networks are not the host's. */
  harness?: HarnessEngine;
}

/**
 * `npm run bench -- --engine=28.5 --store=containerd`: the same flags as `engine:up`. The nested engine is started
 * (or found), and DOCKER_HOST and IMAGE_REGISTRY name it for this process and every Nx run it starts, as a user's
 * exports do. Its engine gets the repo's Python runtime under its usual name (through its registry), the image the
 * work graph is built FROM. Sections that measure the host's own machinery (a private 20.10 engine, the release,
 * the image-builder, the supply chain) are refused there in one line.
 */
export async function benchEngine(args: readonly string[], sections: ReadonlySet<string>, log: (line: string) => void): Promise<BenchEngine> {
  const choice = parseEngineChoice(args);
  if (!choice) return { name: 'host', nested: false };
  const name = nestedEngineName(choice);
  const others = [...sections].filter((section) => !(NESTED_SECTIONS as readonly string[]).includes(section));
  if (others.length) {
    throw new UserError(`--engine=${choice.engine}: the sections ${others.join(', ')} run on the host engine only; pick from ${NESTED_SECTIONS.join(', ')} with BENCH_ONLY=${NESTED_SECTIONS.join(',')}`);
  }
  const engine = await ensureNestedEngine(choice, log);
  // The host's engine, before DOCKER_HOST names the nested one.
  const host = engineClient();
  const runtime = await repoImage('python-runtime');
  process.env.DOCKER_HOST = engine.dockerHost;
  process.env.IMAGE_REGISTRY = engine.registry;
  const version = readFileSync(join(REPO_ROOT, 'images/python-runtime/VERSION'), 'utf8').trim();
  const inRegistry = `${engine.registry}/openclaw-python:${version}`;
  await pushAs(host, runtime, inRegistry);
  const nested = engineClient(engine.dockerHost);
  await pullImage(nested, inRegistry);
  await tagImage(nested, inRegistry, `openclaw-python:${version}`);
  log(`measuring Docker ${engine.engineVersion} (${name}, API ${engine.apiVersion}) at ${engine.dockerHost}, registry ${engine.registry}`);
  return { name, nested: true, harness: { docker: nested, sharedDir: engine.sharedDir } };
}
