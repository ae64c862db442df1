import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { engineClient, inspectLocalImage } from '@taskforge/engine';
import { engineLacks, imageNames, imageSettingsOf, loadImageSet, resolveImageSettings } from '@taskforge/image-build';
import { IMAGE_DEFINITION_FILE } from '@taskforge/image-model';
import { REPO_ROOT } from './fixture-workspace';

function definitionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : definitionFiles(join(dir, entry.name));
    return entry.name === IMAGE_DEFINITION_FILE ? [relative(REPO_ROOT, join(dir, entry.name))] : [];
  });
}

/**
 * The NAME:VERSION of one of this repo's images, once the engine holds it
 * for the current sources (the version tag and the content tag name the same
 * image). Tests never build: the Nx graph does, before them (each e2e
 * project's test target depends on its images' build-image), so a test
 * never runs against an image older than the sources.
 */
export async function repoImage(project: string): Promise<string> {
  const nxJson = JSON.parse(readFileSync(join(REPO_ROOT, 'nx.json'), 'utf8'));
  const docker = engineClient();
  // Keyed as Nx keyed them for this engine: what it lacks (an older engine builds some images without a feature).
  const settings = resolveImageSettings(imageSettingsOf(nxJson));
  const images = loadImageSet(REPO_ROOT, definitionFiles(join(REPO_ROOT, 'images')), settings, { only: project, engineLacks: await engineLacks(docker) });
  const names = imageNames(images, project);
  const [current, versioned] = await Promise.all([inspectLocalImage(docker, names.content), inspectLocalImage(docker, names.versioned)]);
  if (!current || current.id !== versioned?.id) {
    throw new Error(`${names.versioned} in the engine is not the image of ${project}'s current sources: run the tests through Nx (\`npx nx run-many -t test\`, which builds the images first) or build it with \`npx nx run ${project}:build-image\`.`);
  }
  return names.versioned;
}
