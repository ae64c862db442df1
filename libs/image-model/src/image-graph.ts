import { parseImageReference } from './image-reference';
import type { ImageUse } from './dockerfile';

export interface ImageNode {
  /** Nx project name, e.g. `agent-base`. */
  project: string;
  /** Image name from image.json, e.g. `openclaw-base`. */
  image: string;
  version: string;
}

export type ResolvedUse =
  | { kind: 'in-repo'; use: ImageUse; node: ImageNode }
  | { kind: 'external'; use: ImageUse }
  /** Looks like a repo image but names none: loadImageWorkspace reports it (file:line, the known names). */
  | { kind: 'unknown-in-repo'; use: ImageUse };

export interface ResolveOptions {
  /** The registry in-repo images are pushed to, e.g. `localhost:5000`. */
  registry: string;
  /** Name prefixes that only in-repo images use, e.g. `openclaw-`. */
  inRepoPrefixes: string[];
}

/**
 * Decides whether an image a Dockerfile uses is one of the repo's images.
 * `openclaw-base`, `openclaw-base:1.0.0` and `localhost:5000/openclaw-base`
 * all name the project that builds `openclaw-base`. A name that looks like an
 * in-repo image (our registry, or an in-repo prefix) but matches none is an
 * error rather than a silent pull from elsewhere.
 */
export function resolveImageUse(use: ImageUse, images: Map<string, ImageNode>, options: ResolveOptions): ResolvedUse {
  const reference = parseImageReference(use.reference);
  const onOurRegistry = reference.registry === options.registry;
  if (reference.registry && !onOurRegistry) return { kind: 'external', use };
  const node = images.get(reference.repository);
  if (node) return { kind: 'in-repo', use, node };
  if (onOurRegistry || options.inRepoPrefixes.some((prefix) => reference.repository.startsWith(prefix))) return { kind: 'unknown-in-repo', use };
  return { kind: 'external', use };
}

/** Tags of an in-repo image that a Dockerfile may use: they always point at the current build. */
export function tagFollowsProject(tag: string | undefined, node: ImageNode): boolean {
  return tag === undefined || tag === 'latest' || tag === node.version;
}
