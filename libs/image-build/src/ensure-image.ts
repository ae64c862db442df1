import type Docker from 'dockerode';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import {
  buildImage,
  engineAddress,
  engineFacts,
  importRootfs,
  inspectLocalImage,
  pushAs,
  tagImage,
  type BuildRequest,
  type LocalImage,
} from '@taskforge/engine';
import {
  dockerfileWithout,
  imageLabels,
  type LabelFacts,
  parseImageReference,
  sourceDate,
  sourceDateEpoch,
  tagFollowsProject,
  type ImageProject,
} from '@taskforge/image-model';
import { buildRootfsTarball, tarballDigest } from '@taskforge/rootfs';
import { UserError } from '@taskforge/user-errors';
import { engineLacks, lackedFeatures, lackedFeaturesNote } from './engine-dialect';
import { imageNames, type ImageTask } from './image-task';
import { outsideDigestsOf, outsideImageNotes, pinOutsideImages, type OutsideImage, type OutsideMove } from './outside-images';
import { readPackageRecord } from './package-record';
import { findReusableImage } from './reuse';
import { gitRevision, sourceUrl } from '@taskforge/git';

export type ImageOutcome = 'built' | 'reused from engine' | 'reused from registry';

/** What build-image did for one image; written next to the build output and summarised at the end of a run. */
export interface ImageRecord {
  project: string;
  image: string;
  version: string;
  contentKey: string;
  id: string;
  tags: string[];
  size: number;
  /** What `size` counts (the engine's store decides): unpacked layers, or compressed content. Older records lack it: unpacked. */
  sizeIs?: LocalImage['sizeIs'];
  outcome: ImageOutcome;
  seconds: number;
  /** When this build-image started and finished its work (ISO 8601), to show what ran in parallel. */
  startedAt: string;
  finishedAt: string;
  /** For root filesystem images: the sha256 of the imported tarball, the image's only layer. */
  layerDigest?: string;
  /** The content tag in the registry, when it was shared there. */
  sharedAs?: string;
  /** Every Debian package in the image with the exact version the build resolved (from install-debian-packages); for a reused image only when asked (packagesWhenReused). */
  packages?: Record<string, string>;
  /** What each outside image (FROM, COPY --from of no repo project) resolved to in the key, by reference; unresolved ones are left out. */
  outsideImages?: Record<string, OutsideImage>;
  /** Outside images whose digest moved since the previous build of this project (filled by build-image from its previous record). */
  outsideMoved?: OutsideMove[];
}

export interface EnsureImageOptions {
  /** Push the content tag after a build so other machines can reuse it. */
  shareContentTag?: boolean;
  /** When a build is needed, run every Dockerfile step again (fresh Debian package resolution). */
  noCache?: boolean;
  /**
   * Read the package record of a reused image too, not only of a built one. Reading it runs a container
   * (~150 ms), which a fresh machine reusing every image would pay per image for nothing; build-image asks
   * for it when its previous record has packages to compare with.
   */
  packagesWhenReused?: boolean;
}

/** What every build of an image's Dockerfile sends: exactly its build context, its Dockerfile and build args. */
export function dockerfileBuild(workspaceRoot: string, image: ImageProject): Pick<BuildRequest, 'contextDir' | 'files' | 'dockerfile' | 'buildArgs' | 'displayName'> {
  return {
    contextDir: join(workspaceRoot, image.root),
    files: image.contextFiles,
    dockerfile: posix.relative(image.root, image.dockerfile!),
    // The image's VERSION, for a Dockerfile that declares `ARG IMAGE_VERSION` (the base writes it where its runtime reports it).
    buildArgs: { IMAGE_VERSION: image.version, ...image.definition.buildArgs },
    displayName: image.project,
  };
}

/** Refuses a Dockerfile whose in-repo images would not resolve to this build's parents. */
export function checkImageUses(image: ImageProject): void {
  for (const resolved of image.uses) {
    const where = `${image.dockerfile}:${resolved.use.line}`;
    if (resolved.kind === 'in-repo') {
      const { tag, digest } = parseImageReference(resolved.use.reference);
      if (digest || !tagFollowsProject(tag, resolved.node)) {
        throw new UserError(
          `${where}: ${resolved.use.reference} is not the version this repo builds (project ${resolved.node.project} is at ${resolved.node.version}); use ${resolved.node.image}:${resolved.node.version} so the image is built on the current ${resolved.node.project}.`,
        );
      }
    }
  }
}

/**
 * What the labels say of the image the final stage is built FROM. For an outside image: its manifest digest, the one
 * the content key names (never an engine image ID, which is no manifest digest). For one of the repo's images: its
 * content key, which names its content on every machine and image store; its manifest digest would depend on whether
 * and from which engine it was pushed before (classic and containerd stores push different manifests), so the same
 * sources would get different labels by a machine's history. Its base digest label is then empty.
 */
function finalBase(task: ImageTask, image: ImageProject): Pick<LabelFacts, 'baseName' | 'baseDigest' | 'baseContentKey'> {
  const from = [...image.uses].reverse().find((use) => use.use.instruction === 'FROM');
  if (!from) return {};
  // Empty, not left out: labels are inherited, and the parent's own base digest would otherwise show through.
  if (from.kind === 'in-repo') return { baseName: from.use.reference, baseDigest: '', baseContentKey: task.keys.get(from.node.project) };
  const outside = task.outside.get(from.use.reference);
  const manifest = outside?.digest && outside.source !== 'engine image id' ? outside.digest : undefined;
  return { baseName: from.use.reference, baseDigest: manifest };
}

/**
 * Makes sure the engine holds the image of `project` for its current
 * content: reused from the engine or the registry when an image with the
 * same content key exists, built otherwise. Tags NAME:VERSION and
 * NAME:latest either way.
 */
export async function ensureImage(docker: Docker, task: ImageTask, options: EnsureImageOptions = {}): Promise<ImageRecord> {
  const started = Date.now();
  const image = task.workspace.projects.get(task.project);
  if (!image) throw new UserError(`No image project "${task.project}": it needs an image.json under images/.`);
  checkImageUses(image);
  const key = task.keys.get(image.project)!;
  const name = image.definition.name;
  const names = imageNames(task, image.project);
  const keyRef = names.content;
  const registryRef = names.inRegistry(names.contentTag);
  const tags = [names.versioned, names.latest];
  for (const note of outsideImageNotes(image, task.outside)) task.print(note);

  let outcome: ImageOutcome;
  let id: string;
  let layerDigest: string | undefined;
  let sharedAs: string | undefined;
  const reusable = await findReusableImage(docker, keyRef, registryRef, task.print).catch((error: Error) => {
    // A registry that is down must not stop a build that does not need it.
    task.print(`registry not consulted: ${error.message}`);
    return undefined;
  });
  if (reusable) {
    outcome = reusable.source === 'engine' ? 'reused from engine' : 'reused from registry';
    id = reusable.id;
  } else {
    // Before the labels: the base digest they name is the engine's copy, which this makes the one the key names.
    await pinOutsideImages(docker, image, task.outside, task.print);
    const labels = imageLabels(image, {
      contentKey: key,
      revision: gitRevision(task.workspaceRoot),
      created: sourceDate().toISOString(),
      source: sourceUrl(task.workspaceRoot),
      ...finalBase(task, image),
    });
    if (image.definition.rootfs) {
      ({ id, layerDigest } = await buildFromRootfs(docker, image, keyRef, labels, task.print));
    } else {
      id = await buildImage(docker, {
        ...dockerfileBuild(task.workspaceRoot, image),
        dockerfileText: await dockerfileForEngine(docker, task, image),
        tags: [keyRef, ...tags],
        labels,
        noCache: options.noCache,
        sourceDateEpoch: sourceDateEpoch(),
        print: task.print,
      });
    }
    outcome = 'built';
    if (options.shareContentTag) sharedAs = await shareContentTag(docker, id, registryRef, task.print);
  }
  for (const tag of [keyRef, ...tags]) await tagImage(docker, id, tag);
  const local = (await inspectLocalImage(docker, id)) as LocalImage;
  layerDigest ??= image.definition.rootfs ? local.layers[0] : undefined;
  const packages = outcome === 'built' || options.packagesWhenReused ? await readPackageRecord(docker, id) : undefined;
  return {
    project: image.project,
    image: name,
    version: image.version,
    contentKey: key,
    id,
    tags: [...tags, keyRef],
    size: local.size,
    sizeIs: local.sizeIs,
    outcome,
    seconds: (Date.now() - started) / 1000,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    layerDigest,
    sharedAs,
    packages,
    outsideImages: outsideDigestsOf(image, task.outside),
  };
}

/**
 * The Dockerfile text to build on this engine when it lacks a feature the image's Dockerfile uses (undefined: the
 * file as it is). The content key already says so (ENGINE_LACKS_VARIABLE): a key computed for another engine would
 * tag a lesser image as the full one, or the other way round, so that is refused.
 */
async function dockerfileForEngine(docker: Docker, task: ImageTask, image: ImageProject): Promise<string | undefined> {
  const lacked = lackedFeatures(image, await engineLacks(docker));
  const keyed = lackedFeatures(image, task.engineLacks);
  if (lacked.join() !== keyed.join()) {
    throw new UserError(
      `${image.project}: its content key was computed for an engine ${keyed.length ? 'without' : 'with'} ${[...lacked, ...keyed].join(', ')}, and the engine at ${engineAddress()} is not one: run the build through Nx (\`npx nx run ${image.project}:build-image\`), which asks the engine before it computes the keys.`,
    );
  }
  if (lacked.length === 0) return undefined;
  task.print(lackedFeaturesNote((await engineFacts(docker)).version, lacked));
  return dockerfileWithout(readFileSync(join(task.workspaceRoot, image.dockerfile!), 'utf8'), lacked);
}

async function buildFromRootfs(
  docker: Docker,
  image: ImageProject,
  reference: string,
  labels: Record<string, string>,
  print: (line: string) => void,
): Promise<{ id: string; layerDigest: string }> {
  const recipe = image.definition.rootfs!;
  const dir = mkdtempSync(join(tmpdir(), 'rootfs-'));
  try {
    const tarball = join(dir, 'rootfs.tar');
    await buildRootfsTarball(recipe, tarball, print);
    const layerDigest = await tarballDigest(tarball);
    print(`root filesystem layer ${layerDigest}`);
    const changes = [
      ...Object.entries(recipe.env).map(([k, v]) => `ENV ${k}=${JSON.stringify(v)}`),
      ...(recipe.cmd ? [`CMD ${JSON.stringify(recipe.cmd)}`] : []),
      ...Object.entries(labels).map(([k, v]) => `LABEL ${JSON.stringify(k)}=${JSON.stringify(v)}`),
    ];
    const id = await importRootfs(docker, { tarball, reference, changes });
    return { id, layerDigest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function shareContentTag(docker: Docker, id: string, registryRef: string, print: (line: string) => void): Promise<string | undefined> {
  try {
    const pushed = await pushAs(docker, id, registryRef);
    print(`shared ${registryRef} (${pushed.digest}) for reuse on other machines`);
    return registryRef;
  } catch (error) {
    print(`not shared: ${(error as Error).message}`);
    return undefined;
  }
}
