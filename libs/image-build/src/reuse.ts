import type Docker from 'dockerode';
import { inspectLocalImage, pullImage, tagImage } from '@taskforge/engine';

export type ReuseSource = 'engine' | 'registry';

/**
 * Finds an image with this content tag: in the engine, or else in the
 * registry (pulled, then tagged locally without the registry prefix).
 */
export async function findReusableImage(
  docker: Docker,
  localRef: string,
  registryRef: string,
  print: (line: string) => void,
): Promise<{ source: ReuseSource; id: string } | undefined> {
  const local = await inspectLocalImage(docker, localRef);
  if (local) return { source: 'engine', id: local.id };
  print(`looking for ${registryRef}`);
  if (!(await pullImage(docker, registryRef))) return undefined;
  const pulled = await inspectLocalImage(docker, registryRef);
  if (!pulled) return undefined;
  await tagImage(docker, pulled.id, localRef);
  return { source: 'registry', id: pulled.id };
}
