import type Docker from 'dockerode';
import { inspectLocalImage, pushImage, registryTagDigest, tagImage } from '@taskforge/engine';
import { contentTag, ensureImage, type ImageRecord } from '@taskforge/image-build';
import { runImageChecks } from '@taskforge/image-checks';
import { buildOrder, type ImageProject } from '@taskforge/image-model';
import { filesChangedSince, latestRelease, listTags, releaseTagName, tagCommit } from '@taskforge/release';
import { UserError } from '@taskforge/user-errors';
import type { ImageTaskGraph } from '../image-workspace-loader';
import { releaseReferences } from './release-references';

// Files a release itself writes; a change to them alone is no change of the image's sources.
const RELEASE_FILES = ['VERSION', 'CHANGELOG.md'];

/** Registry references of `image`'s release of `version` (see releaseReferences), from the checkout's tags. */
function referencesToPush(request: ImageTaskGraph, image: ImageProject, version: string): string[] {
  return releaseReferences(request.registry, { project: image.project, name: image.definition.name }, version, listTags(request.workspaceRoot));
}

/** What publish would do, without an engine: for --dry-run. */
export function describePublishPlan(request: ImageTaskGraph, version: string): string {
  const image = request.workspace.projects.get(request.project)!;
  const references = referencesToPush(request, image, version);
  return `would build or reuse ${image.definition.name}:${version}, run its checks, then push ${references.join(', ')} (an existing ${image.definition.name}:${version} with another digest stops the publish)`;
}

/** Refuses to publish a tagged version from sources that moved on since its tag. */
function assertSourcesMatchTag(request: ImageTaskGraph, tag: string): void {
  const roots = buildOrder(request.workspace, request.project).map((image) => image.root);
  const changed = filesChangedSince(request.workspaceRoot, tag, roots, RELEASE_FILES);
  if (changed.length) {
    throw new UserError(
      `${request.project}: ${changed[0]}${changed.length > 1 ? ` (and ${changed.length - 1} more)` : ''} changed since ${tag}, so this checkout would not publish what was released: publish from the tagged commit (\`git checkout ${tag}\`), or release a new version.`,
    );
  }
}

async function allPointTo(references: string[], digest: string | undefined): Promise<boolean> {
  if (!digest) return false;
  for (const reference of references) if ((await registryTagDigest(reference)) !== digest) return false;
  return true;
}

/**
 * Publishes the released version of one image (the version in VERSION, which
 * must carry its git tag): builds or reuses it and its parents, runs its
 * checks, pushes X.Y.Z and the lines it leads. Re-running finishes what a
 * failed run left; an X.Y.Z that points to another image is never replaced.
 */
export async function publishImage(docker: Docker, request: ImageTaskGraph): Promise<void> {
  const image = request.workspace.projects.get(request.project)!;
  const { version } = image;
  const name = image.definition.name;
  const tag = releaseTagName(image.project, version);
  if (!tagCommit(request.workspaceRoot, tag)) {
    request.print(`${name}:${version} is not released (no git tag ${tag}): nothing to publish`);
    return;
  }
  assertSourcesMatchTag(request, tag);

  const key = request.keys.get(image.project)!;
  const contentReference = `${request.registry}/${name}:${contentTag(key)}`;
  const references = referencesToPush(request, image, version);
  // Finished before (by this or an earlier run): nothing to pull, build or push.
  const sharedDigest = await registryTagDigest(contentReference);
  if (await allPointTo(references, sharedDigest)) {
    request.print(`already published: ${references.join(', ')} = ${sharedDigest}`);
    return;
  }

  // No source change since the previous release (a security refresh or a new base): resolve packages anew, not from BuildKit's cache.
  const previous = latestRelease(image.project, listTags(request.workspaceRoot), version);
  const noCache = !!previous && filesChangedSince(request.workspaceRoot, releaseTagName(image.project, previous), [image.root], RELEASE_FILES).length === 0;
  if (noCache) request.print(`no source change since ${previous}: building without BuildKit's cache so Debian packages resolve anew`);
  const started = Date.now();
  let record: ImageRecord | undefined;
  for (const each of buildOrder(request.workspace, request.project)) {
    const own = each.project === image.project;
    const ensured = await ensureImage(docker, { ...request, project: each.project }, { noCache: own && noCache });
    if (own) record = ensured;
  }

  const built = Date.now();
  const results = await runImageChecks(docker, image, `${name}:${contentTag(key)}`, key, request.print, request.workspaceRoot).catch((error: Error) => {
    throw new UserError(`${image.project}: test-image could not run its checks (${error.message}), so nothing was pushed; fix the image and publish again.`);
  });
  const failed = results.filter((result) => !result.passed);
  if (failed.length) throw new UserError(`${image.project}: test-image failed (${failed.map((f) => f.name).join(', ')}), so nothing was pushed; fix the image and publish again.`);

  const checked = Date.now();
  await tagImage(docker, record!.id, contentReference);
  const { digest } = await pushImage(docker, contentReference);
  const existing = await registryTagDigest(references[0]);
  if (existing && existing !== digest) {
    throw new UserError(
      `${references[0]} already exists as ${existing} and this build of ${name}:${version} is ${digest}; a published version is never replaced: release a new version (\`npx nx release patch --projects=${image.project}\`).`,
    );
  }
  for (const reference of references) {
    const current = reference === references[0] ? existing : await registryTagDigest(reference);
    if (current === digest) continue;
    await tagImage(docker, record!.id, reference);
    await pushImage(docker, reference);
  }
  const local = await inspectLocalImage(docker, record!.id);
  const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
  request.print(`publish phases: build ${seconds(started, built)}s, checks ${seconds(built, checked)}s, push ${seconds(checked, Date.now())}s`);
  request.print(`published ${references.join(', ')} = ${digest} (${((local?.size ?? 0) / 1e6).toFixed(1)} MB)`);
}
