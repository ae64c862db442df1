import type Docker from 'dockerode';
import { engineFacts, hasStartInterval } from '@taskforge/engine';
import type { DockerfileFeature, ImageProject } from '@taskforge/image-model';

/**
 * The environment variable that hands every task of an Nx run the Dockerfile features its engine lacks (a JSON
 * array), asked once before the tasks like the outside images: the content keys of images that use one depend on it.
 */
export const ENGINE_LACKS_VARIABLE = 'TASKFORGE_ENGINE_LACKS';

/** Each feature in words for the build's one line: what it is, and what the image built without it does instead. */
const FEATURE_NAMES: Record<DockerfileFeature, { name: string; without: string }> = {
  'healthcheck-start-interval': { name: 'HEALTHCHECK --start-interval (Docker 25 and later)', without: 'its first health check runs one --interval after start' },
};

/** The Dockerfile features an engine speaking this API version lacks. */
export function lacksAtApi(apiVersion: string): DockerfileFeature[] {
  return hasStartInterval({ api: { version: apiVersion } }) ? [] : ['healthcheck-start-interval'];
}

/** The Dockerfile features this engine lacks. */
export async function engineLacks(docker: Docker): Promise<DockerfileFeature[]> {
  return lacksAtApi((await engineFacts(docker)).api.version);
}

export function engineLacksVariable(lacks: readonly DockerfileFeature[]): string {
  return JSON.stringify(lacks);
}

/** This run's engine's lacks (ENGINE_LACKS_VARIABLE); undefined outside an Nx run, where nobody asked the engine. */
export function engineLacksOfRun(env: NodeJS.ProcessEnv = process.env): DockerfileFeature[] | undefined {
  try {
    const lacks = JSON.parse(env[ENGINE_LACKS_VARIABLE] ?? 'null') as unknown;
    return Array.isArray(lacks) ? lacks.filter((feature): feature is DockerfileFeature => feature in FEATURE_NAMES) : undefined;
  } catch {
    return undefined;
  }
}

/** The features of this image's Dockerfile that the engine lacks: the build goes without them, under another key. */
export function lackedFeatures(image: Pick<ImageProject, 'features'>, lacks: readonly DockerfileFeature[] | undefined): DockerfileFeature[] {
  return image.features.filter((feature) => lacks?.includes(feature));
}

/** The build's one line about what it goes without. */
export function lackedFeaturesNote(engineVersion: string, features: readonly DockerfileFeature[]): string {
  return `Docker ${engineVersion} lacks ${features.map((feature) => FEATURE_NAMES[feature].name).join(', ')}: built without it, so ${features.map((feature) => FEATURE_NAMES[feature].without).join(', and ')}`;
}
