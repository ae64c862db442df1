import type Docker from 'dockerode';
import { inspectLocalImage, pushAs, registryTagDigest } from '@taskforge/engine';
import { ensureImage, imageNames, type ImageRecord, type ImageTask } from '@taskforge/image-build';
import { runImageChecks } from '@taskforge/image-checks';
import { buildOrder, type ImageProject } from '@taskforge/image-model';
import { latestRelease, releaseTagName } from '@taskforge/release';
import { UserError } from '@taskforge/user-errors';
import { releaseReferences } from './release-references';
import { filesChangedSince, listTags, tagCommit } from '@taskforge/git';

// Files a release itself writes; a change to them alone is no change of the image's sources.
const RELEASE_FILES = ['VERSION', 'CHANGELOG.md'];

/** Registry references of `image`'s release of `version` (see releaseReferences), from the checkout's tags. */
function referencesToPush(task: ImageTask, image: ImageProject, version: string): string[] {
  return releaseReferences(task.registry, { project: image.project, name: image.definition.name }, version, listTags(task.workspaceRoot));
}

/** What publish would do, without an engine: for --dry-run. */
export function describePublishPlan(task: ImageTask, version: string): string {
  const image = task.workspace.projects.get(task.project)!;
  const references = referencesToPush(task, image, version);
  return `would build or reuse ${image.definition.name}:${version}, run its checks, then push ${references.join(', ')} (an existing ${image.definition.name}:${version} with another digest stops the publish)`;
}

/** Refuses to publish a tagged version from sources that moved on since its tag. */
function assertSourcesMatchTag(task: ImageTask, tag: string): void {
  const roots = buildOrder(task.workspace, task.project).map((image) => image.root);
  const changed = filesChangedSince(task.workspaceRoot, tag, roots, RELEASE_FILES);
  if (changed.length) {
    throw new UserError(
      `${task.project}: ${changed[0]}${changed.length > 1 ? ` (and ${changed.length - 1} more)` : ''} changed since ${tag}, so this checkout would not publish what was released: publish from the tagged commit (\`git checkout ${tag}\`), or release a new version.`,
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
export async function publishImage(docker: Docker, task: ImageTask): Promise<void> {
  const image = task.workspace.projects.get(task.project)!;
  const { version } = image;
  const name = image.definition.name;
  const tag = releaseTagName(image.project, version);
  if (!tagCommit(task.workspaceRoot, tag)) {
    task.print(`${name}:${version} is not released (no git tag ${tag}): nothing to publish`);
    return;
  }
  assertSourcesMatchTag(task, tag);

  const key = task.keys.get(image.project)!;
  const names = imageNames(task, image.project);
  const contentReference = names.inRegistry(names.contentTag);
  const references = referencesToPush(task, image, version);
  // Finished before (by this or an earlier run): nothing to pull, build or push.
  const sharedDigest = await registryTagDigest(contentReference);
  if (await allPointTo(references, sharedDigest)) {
    task.print(`already published: ${references.join(', ')} = ${sharedDigest}`);
    return;
  }

  // No source change since the previous release (a security refresh or a new base): resolve packages anew, not from BuildKit's cache.
  const previous = latestRelease(image.project, listTags(task.workspaceRoot), version);
  const noCache = !!previous && filesChangedSince(task.workspaceRoot, releaseTagName(image.project, previous), [image.root], RELEASE_FILES).length === 0;
  if (noCache) task.print(`no source change since ${previous}: building without BuildKit's cache so Debian packages resolve anew`);
  const started = Date.now();
  let record: ImageRecord | undefined;
  for (const each of buildOrder(task.workspace, task.project)) {
    const own = each.project === image.project;
    const ensured = await ensureImage(docker, { ...task, project: each.project }, { noCache: own && noCache });
    if (own) record = ensured;
  }

  const built = Date.now();
  const results = await runImageChecks(docker, image, names.content, key, task.print, task.workspaceRoot).catch((error: Error) => {
    throw new UserError(`${image.project}: test-image could not run its checks (${error.message}), so nothing was pushed; fix the image and publish again.`);
  });
  const failed = results.filter((result) => !result.passed);
  if (failed.length) throw new UserError(`${image.project}: test-image failed (${failed.map((f) => f.name).join(', ')}), so nothing was pushed; fix the image and publish again.`);

  const checked = Date.now();
  const { digest } = await pushAs(docker, record!.id, contentReference);
  const existing = await registryTagDigest(references[0]);
  if (existing && existing !== digest) {
    throw new UserError(
      `${references[0]} already exists as ${existing} and this build of ${name}:${version} is ${digest}; a published version is never replaced: release a new version (\`npx nx release patch --projects=${image.project}\`).`,
    );
  }
  for (const reference of references) {
    const current = reference === references[0] ? existing : await registryTagDigest(reference);
    if (current === digest) continue;
    await pushAs(docker, record!.id, reference);
  }
  const local = await inspectLocalImage(docker, record!.id);
  const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
  task.print(`publish phases: build ${seconds(started, built)}s, checks ${seconds(built, checked)}s, push ${seconds(checked, Date.now())}s`);
  task.print(`published ${references.join(', ')} = ${digest} (${((local?.size ?? 0) / 1e6).toFixed(1)} MB)`);
}
