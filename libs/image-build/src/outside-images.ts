import type Docker from 'dockerode';
import { inspectLocalImage, pullImage, registryTagDigest, tagImage } from '@taskforge/engine';
import { formatImageReference, parseImageReference, type ImageProject, type ImageWorkspace } from '@taskforge/image-model';
import { UserError } from '@taskforge/user-errors';

/**
 * Where the identity of an outside image came from: the reference's own
 * `@sha256:` pin, the registry's answer for its tag, the engine's copy (its
 * repo digest, else its image ID), or nothing (keyed by the reference alone).
 */
export type OutsideSource = 'pinned' | 'registry' | 'engine' | 'engine image id' | 'unresolved';

/** What one image outside the repo (a FROM, COPY --from or RUN --mount=from= of no repo project) stands for in this run. */
export interface OutsideImage {
  reference: string;
  /** The manifest digest (`sha256:…`), or the engine's image ID when it has no digest; absent when unresolved. */
  digest?: string;
  source: OutsideSource;
  /** Why the registry did not give the digest, for the build log. */
  note?: string;
}

/** Outside images by reference as the Dockerfiles write it. */
export type OutsideImages = Map<string, OutsideImage>;

/** A moved outside image: the same reference resolved to another manifest digest than at the previous build. */
export interface OutsideMove {
  reference: string;
  from: string;
  to: string;
}

/**
 * Carries this run's resolutions from the plugin's preTasksExecution (which
 * asks each registry once) to every task process, so images that share an
 * outside parent key it alike and no task asks again.
 */
export const OUTSIDE_IMAGES_VARIABLE = 'TASKFORGE_OUTSIDE_IMAGES';

/** A registry or engine that does not answer within this must not hold up the run: the image is then keyed by what else is known. */
const RESOLVE_TIMEOUT_MS = 5000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${RESOLVE_TIMEOUT_MS / 1000} s`)), RESOLVE_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The reason of a failed look-up without the fix it suggests, which speaks of the repo's own registry. */
function reason(error: unknown): string {
  return (error as Error).message.replace(/\s+/g, ' ').split(/ while checking |: (?:start|run) |; check /)[0].trim();
}

/** Every outside reference the workspace's Dockerfiles use, each once. */
export function outsideReferences(workspace: ImageWorkspace): string[] {
  const references = new Set<string>();
  for (const image of workspace.projects.values()) for (const use of image.uses) if (use.kind === 'external') references.add(use.use.reference);
  return [...references].sort();
}

/** The outside references of one image, each once. */
export function outsideReferencesOf(image: ImageProject): string[] {
  return [...new Set(image.uses.flatMap((use) => (use.kind === 'external' ? [use.use.reference] : [])))];
}

/** `registry/repository` of a reference, as the engine lists it in RepoDigests. */
function repositoryOf(reference: string): string {
  const { registry, repository } = parseImageReference(reference);
  return formatImageReference({ registry, repository });
}

/**
 * The manifest digest a tag points to, asked of the engine (GET
 * /distribution/…/json, no pull): for a reference that names no registry,
 * the engine's default registry and mirrors are what a pull would use, and
 * this repo never names that registry itself.
 */
export async function engineTagDigest(docker: Docker, reference: string): Promise<string> {
  const info = await docker.getImage(reference).distribution();
  const digest = info.Descriptor?.digest;
  if (!digest) throw new Error(`the engine gave no digest for ${reference}`);
  return digest;
}

async function fromRegistry(reference: string, engine: () => Docker): Promise<string | undefined> {
  if (!parseImageReference(reference).registry) return withTimeout(engineTagDigest(engine(), reference), `the engine's registry for ${reference}`);
  return withTimeout(registryTagDigest(reference), `registry of ${reference}`);
}

async function fromEngine(reference: string, engine: () => Docker): Promise<Pick<OutsideImage, 'digest' | 'source'> | undefined> {
  const local = await withTimeout(inspectLocalImage(engine(), reference), 'the engine');
  if (!local) return undefined;
  const repository = repositoryOf(reference);
  const repoDigest = local.repoDigests.find((entry) => entry.slice(0, entry.indexOf('@')) === repository);
  return repoDigest ? { digest: repoDigest.slice(repoDigest.indexOf('@') + 1), source: 'engine' } : { digest: local.id, source: 'engine image id' };
}

/**
 * What one outside reference stands for: its own pin; else the digest the
 * registry gives for its tag; else the engine's copy when the registry
 * cannot say (down, refusing, no such tag). When neither knows it the image
 * is keyed by its reference, as before digests were asked: the build pulls
 * it anyway and fails there, with the engine's own message, if it exists
 * nowhere. Failing here instead would stop every Nx command (resolution runs
 * before any task) over one image's parent. Never rejects.
 */
export async function resolveOutsideImage(reference: string, engine: () => Docker): Promise<OutsideImage> {
  const pinned = parseImageReference(reference).digest;
  if (pinned) return { reference, digest: pinned, source: 'pinned' };
  let note: string;
  try {
    const digest = await fromRegistry(reference, engine);
    if (digest) return { reference, digest, source: 'registry' };
    note = 'the registry has no such tag';
  } catch (error) {
    note = reason(error);
  }
  try {
    const local = await fromEngine(reference, engine);
    if (local) return { reference, ...local, note };
  } catch (error) {
    note = `${note}; the engine: ${reason(error)}`;
  }
  return { reference, source: 'unresolved', note };
}

/** Resolves each reference once, all at the same time. The engine client is made only if some reference needs it. */
export async function resolveOutsideImages(references: readonly string[], engine: () => Docker): Promise<OutsideImages> {
  let docker: Docker | undefined;
  const engineOnce = () => (docker ??= engine());
  const resolved = await Promise.all([...new Set(references)].map((reference) => resolveOutsideImage(reference, engineOnce)));
  return new Map(resolved.map((image) => [image.reference, image]));
}

/** The value of OUTSIDE_IMAGES_VARIABLE for these resolutions. */
export function outsideImagesVariable(images: OutsideImages): string {
  return JSON.stringify([...images.values()]);
}

/** This run's resolutions (OUTSIDE_IMAGES_VARIABLE); empty outside an Nx run, so every outside image is keyed by its reference. */
export function outsideImagesOfRun(env: NodeJS.ProcessEnv = process.env): OutsideImages {
  try {
    const images = JSON.parse(env[OUTSIDE_IMAGES_VARIABLE] ?? '[]') as OutsideImage[];
    return new Map(images.map((image) => [image.reference, image]));
  } catch {
    return new Map();
  }
}

/**
 * What the content key says about an outside image: its digest, or
 * `outside` when only the reference is known. A pinned reference already
 * carries its digest, so it keeps the key it had before digests were asked.
 */
export function outsideKeyPart(reference: string, outside: OutsideImages): string {
  const digest = outside.get(reference)?.digest;
  return digest && parseImageReference(reference).digest !== digest ? digest : 'outside';
}

/** For the build log: outside images of this image keyed by less than the registry's word. */
export function outsideImageNotes(image: ImageProject, outside: OutsideImages): string[] {
  return outsideReferencesOf(image).flatMap((reference) => {
    const resolved = outside.get(reference);
    if (!resolved || resolved.source === 'unresolved') {
      return [`outside image ${reference}: neither its registry nor the engine knows it${resolved?.note ? ` (${resolved.note})` : ''}; keyed by its reference, the build pulls it`];
    }
    if (resolved.source === 'engine' || resolved.source === 'engine image id') {
      return [`outside image ${reference}: no digest from its registry (${resolved.note}); keyed by the engine's copy ${resolved.digest}`];
    }
    return [];
  });
}

/** The digests this image was keyed by, by reference, for its build record (unresolved references are left out). */
export function outsideDigestsOf(image: ImageProject, outside: OutsideImages): Record<string, OutsideImage> | undefined {
  const entries = outsideReferencesOf(image).flatMap((reference) => {
    const resolved = outside.get(reference);
    return resolved?.digest ? [[reference, resolved] as const] : [];
  });
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** Outside images whose manifest digest moved between two builds (an engine image ID is no manifest digest, so never compared). */
export function movedOutsideImages(before: Record<string, OutsideImage> | undefined, after: Record<string, OutsideImage> | undefined): OutsideMove[] {
  const manifest = (image: OutsideImage | undefined) => (image && image.source !== 'engine image id' ? image.digest : undefined);
  return Object.keys(after ?? {})
    .sort()
    .flatMap((reference) => {
      const from = manifest(before?.[reference]);
      const to = manifest(after?.[reference]);
      return from && to && from !== to ? [{ reference, from, to }] : [];
    });
}

/**
 * Makes the engine's copy of each outside image the one the key names before
 * a build: BuildKit takes a FROM image from the engine when it has one, so a
 * stale local copy of a moved tag would be built on under the new key.
 * Pulls `repository@digest` and points the reference at it.
 */
export async function pinOutsideImages(docker: Docker, image: ImageProject, outside: OutsideImages, print: (line: string) => void): Promise<void> {
  for (const reference of outsideReferencesOf(image)) {
    const resolved = outside.get(reference);
    if (resolved?.source !== 'registry') continue;
    const repository = repositoryOf(reference);
    const local = await inspectLocalImage(docker, reference);
    if (local?.repoDigests.includes(`${repository}@${resolved.digest}`)) continue;
    const pinned = `${repository}@${resolved.digest}`;
    print(`pulling ${reference} at ${resolved.digest}, the digest its content key names (the engine's copy is another)`);
    if (!(await pullImage(docker, pinned))) {
      throw new UserError(`${reference}: its registry no longer has ${resolved.digest}, which this run resolved it to (the tag moved meanwhile); run the build again.`);
    }
    const pulled = await inspectLocalImage(docker, pinned);
    if (!pulled) throw new UserError(`${pinned}: pulled, but the engine does not show it; check the engine's log.`);
    await tagImage(docker, pulled.id, reference);
  }
}
