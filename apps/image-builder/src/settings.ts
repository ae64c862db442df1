import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { imageSettingsOf, resolveImageSettings } from '@taskforge/image-build';
import type { TaskImageBuilderOptions } from '@taskforge/image-builder-server';

/** A configuration problem: one line on stderr and exit 2, for the operator to fix. */
export function fail(message: string): never {
  console.error(`[image-builder] ${message}`);
  process.exit(2);
}

function positiveInteger(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) fail(`${variable}=${raw} must be a positive integer`);
  return value;
}

/** PostgreSQL for several replicas (IMAGE_BUILDER_DATABASE_URL, or a file holding it); SQLite when neither is set. */
function databaseUrl(): string | undefined {
  const file = process.env.IMAGE_BUILDER_DATABASE_URL_FILE;
  let url = process.env.IMAGE_BUILDER_DATABASE_URL;
  if (file && url) fail('set IMAGE_BUILDER_DATABASE_URL_FILE or IMAGE_BUILDER_DATABASE_URL, not both');
  if (file) {
    try {
      url = readFileSync(file, 'utf8').trim();
    } catch (error) {
      fail(`IMAGE_BUILDER_DATABASE_URL_FILE=${file} cannot be read: ${(error as Error).message}`);
    }
  }
  if (!url) return undefined;
  // The URL holds a password: name the variable, never echo the value.
  if (!/^postgres(ql)?:\/\//.test(url)) fail(`IMAGE_BUILDER_DATABASE_URL${file ? '_FILE' : ''} must be a postgres://user:password@host:port/database URL`);
  return url;
}

/** The repository this file lives in: where config/capabilities.json and config/task-builds.json are by default. */
const REPO_ROOT = resolve(__dirname, '../../..');

/** Builder settings from the environment; the registry as the Nx plugin resolves it (IMAGE_REGISTRY, then nx.json). */
export function builderOptionsFromEnv(): TaskImageBuilderOptions {
  const configRoot = resolve(process.env.IMAGE_BUILDER_CONFIG_ROOT ?? REPO_ROOT);
  let nxJson: unknown;
  try {
    nxJson = JSON.parse(readFileSync(resolve(REPO_ROOT, 'nx.json'), 'utf8'));
  } catch {
    nxJson = undefined;
  }
  const network = process.env.IMAGE_BUILDER_BUILD_NETWORK ?? 'default';
  if (network !== 'default' && network !== 'host') fail(`IMAGE_BUILDER_BUILD_NETWORK=${network} must be "default" or "host"`);
  return {
    configRoot,
    dataDir: resolve(process.env.IMAGE_BUILDER_DATA_DIR ?? resolve(REPO_ROOT, 'dist/image-builder')),
    databaseUrl: databaseUrl(),
    registry: resolveImageSettings(imageSettingsOf(nxJson as never)).registry,
    pipIndexUrl: process.env.PIP_INDEX_URL || undefined,
    layersRepository: process.env.IMAGE_BUILDER_LAYERS_REPOSITORY || undefined,
    buildNetwork: network,
    concurrency: positiveInteger('IMAGE_BUILDER_CONCURRENCY', 2),
    queueLimit: positiveInteger('IMAGE_BUILDER_QUEUE_LIMIT', 100),
    leaseMs: positiveInteger('IMAGE_BUILDER_LEASE_SECONDS', 30) * 1000,
  };
}
