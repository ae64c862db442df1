import type Docker from 'dockerode';
import { parseImageReference } from '@taskforge/image-model';

export interface LocalImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Bytes, in the sense `sizeIs` says: the engine's `Size` means one thing on each image store. */
  size: number;
  /**
   * `unpacked` on the classic store (the layers as extracted); `compressed` on the containerd store, whose `Size`
   * is the image's content in the store (its compressed layers), a third or so of the unpacked size.
   */
  sizeIs: 'unpacked' | 'compressed';
  labels: Record<string, string>;
  /** Layer diff IDs, bottom first. */
  layers: string[];
  user: string;
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

/**
 * Whether the engine keeps this image in the containerd image store: from API 1.46 (Docker 27) its inspect carries
 * the image's OCI `Descriptor`, which the classic store never has; before that, its graph driver is the containerd
 * snapshotter (`overlayfs`; the classic store's overlay driver is `overlay2`).
 */
function onContainerdStore(info: Docker.ImageInspectInfo): boolean {
  return 'Descriptor' in info || info.GraphDriver?.Name === 'overlayfs';
}

/** `116.9 MB`, or `44.1 MB compressed` where the engine counts compressed content: for tables and lines. */
export function formatImageSize(image: Pick<LocalImage, 'size' | 'sizeIs'>): string {
  return `${(image.size / 1e6).toFixed(1)} MB${image.sizeIs === 'compressed' ? ' compressed' : ''}`;
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
      sizeIs: onContainerdStore(info) ? 'compressed' : 'unpacked',
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
