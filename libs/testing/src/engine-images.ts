import { engineClient, readImageFile, removeImage } from '@taskforge/engine';
import { ensureEngine } from '@taskforge/engine-setup';

/** Starts (or finds) the engine and registry, as `npm test` does; quiet when both answer. */
export async function engineForTests() {
  await ensureEngine((line) => console.log(`[engine] ${line}`));
  return engineClient();
}

/** Removes every local tag whose repository starts with `prefix` (including registry-prefixed ones). */
export async function removeImagesNamed(prefix: string): Promise<void> {
  const docker = engineClient();
  const images = await docker.listImages();
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) {
      const repository = tag.slice(0, tag.lastIndexOf(':'));
      if (repository.split('/').pop()!.startsWith(prefix)) await removeImage(docker, tag, true);
    }
  }
}

/** Reads one file out of an image without running it (works for FROM scratch images). */
export async function readFileFromImage(reference: string, path: string): Promise<string | undefined> {
  return readImageFile(engineClient(), reference, path);
}
