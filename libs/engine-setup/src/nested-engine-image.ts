import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { importRootfs, inspectLocalImage } from '@taskforge/engine';
import type { RootfsRecipe } from '@taskforge/image-model';
import { buildRootfsTarball, mmdebstrapArgs } from '@taskforge/rootfs';
import { NESTED_ENGINES, type NestedEngineVersion } from './nested-engines';

/**
 * The root filesystem a nested engine runs from: its suite's dockerd with the containerd and runc it was built
 * against, iptables for its own bridge, tini as PID 1, the registry it serves, ps for whoever debugs it. No docker
 * CLI: unstable's docker.io has none any more, and the host's CLI talks to the nested socket.
 */
export function nestedEngineRecipe(engine: NestedEngineVersion): RootfsRecipe {
  const { suite, aptOptions } = NESTED_ENGINES[engine];
  return {
    suite,
    variant: 'minbase',
    packages: ['docker.io', 'containerd', 'runc', 'iptables', 'ca-certificates', 'tini', 'docker-registry', 'procps'],
    exclude: ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/locale/*'],
    sourceDateEpoch: 1735689600,
    env: {},
    ...(aptOptions.length ? { aptOptions: [...aptOptions] } : {}),
  };
}

/** `taskforge-engine/docker:28.5-<hash of the mmdebstrap arguments>`: a changed recipe (or mirror) is a new tag. */
export function nestedEngineImageTag(engine: NestedEngineVersion): string {
  const args = mmdebstrapArgs(nestedEngineRecipe(engine), 'rootfs.tar');
  const recipeHash = createHash('sha256').update(JSON.stringify(args)).digest('hex').slice(0, 12);
  return `taskforge-engine/docker:${engine}-${recipeHash}`;
}

/**
 * The host engine's image of a nested engine's root: built once per recipe (mmdebstrap, about a minute and
 * 350 MB, then imported as one layer) and reused by its tag after that.
 */
export async function ensureNestedEngineImage(docker: Docker, engine: NestedEngineVersion, log: (line: string) => void): Promise<string> {
  const image = nestedEngineImageTag(engine);
  if (await inspectLocalImage(docker, image)) return image;
  const recipe = nestedEngineRecipe(engine);
  const dir = mkdtempSync(join(tmpdir(), 'nested-engine-rootfs-'));
  try {
    const started = Date.now();
    log(`building ${image} (${NESTED_ENGINES[engine].describe}, mmdebstrap ${recipe.suite}; about a minute, once per recipe)`);
    const tarball = join(dir, 'rootfs.tar');
    await buildRootfsTarball(recipe, tarball, () => undefined);
    await importRootfs(docker, { tarball, reference: image, changes: [] });
    log(`built ${image}: ${Math.round(statSync(tarball).size / 1e6)} MB in ${Math.round((Date.now() - started) / 1000)} s`);
    return image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
