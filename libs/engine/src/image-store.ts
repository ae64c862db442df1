import type Docker from 'dockerode';
import { parseImageReference } from '@taskforge/image-model';

export interface LocalImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  labels: Record<string, string>;
  /** Layer diff IDs, bottom first. */
  layers: string[];
  user: string;
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

/** The engine's view of an image, or undefined when it does not have it. */
export async function inspectLocalImage(docker: Docker, reference: string): Promise<LocalImage | undefined> {
  try {
    const info = await docker.getImage(reference).inspect();
    return {
      id: info.Id,
      repoTags: info.RepoTags ?? [],
      repoDigests: info.RepoDigests ?? [],
      size: info.Size,
      labels: info.Config?.Labels ?? {},
      layers: info.RootFS?.Layers ?? [],
      user: info.Config?.User ?? '',
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Points `reference` (repo:tag) at an image the engine has. */
export async function tagImage(docker: Docker, imageId: string, reference: string): Promise<void> {
  const { registry, repository, tag } = parseImageReference(reference);
  await docker.getImage(imageId).tag({ repo: registry ? `${registry}/${repository}` : repository, tag: tag ?? 'latest' });
}

export async function removeImage(docker: Docker, reference: string, force = false): Promise<boolean> {
  try {
    await docker.getImage(reference).remove({ force, noprune: false });
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
