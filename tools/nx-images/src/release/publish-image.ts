import { relative } from 'node:path';
import type Docker from 'dockerode';
import { formatImageSize, inspectLocalImage, pushAs, registryTagDigest } from '@taskforge/engine';
import { ensureImage, imageNames, type ImageRecord, type ImageTask } from '@taskforge/image-build';
import { runImageChecks } from '@taskforge/image-checks';
import { buildOrder, type ImageProject } from '@taskforge/image-model';
import { latestRelease, releaseTagName, type ReleaseTagFormat } from '@taskforge/release';
import { UserError } from '@taskforge/user-errors';
import { releaseReferences } from './release-references';
import { filesChangedSince, listTags, tagCommit } from '@taskforge/git';
import { signImage } from '@taskforge/image-signing';
import { attachSbom, imageSbom, sbomFile, writeSbom } from '@taskforge/sbom';
import type { VulnerabilityDatabaseSettings } from '@taskforge/vulnerability-scan';
import { attachVerdict, describeGate, describeSigningKey, hasAttachments, releaseGate, type SupplyChain } from './supply-chain';

// Files a release itself writes; a change to them alone is no change of the image's sources.
const RELEASE_FILES = ['VERSION', 'CHANGELOG.md'];

/** Registry references of `image`'s release of `version` (see releaseReferences), from the checkout's tags. */
function referencesToPush(task: ImageTask, image: ImageProject, tagFormat: ReleaseTagFormat, version: string): string[] {
  return releaseReferences(task.registry, { name: image.definition.name, tagFormat }, version, listTags(task.workspaceRoot));
}

/**
 * What publish would do, without an engine: for --dry-run. `tagFormat` names the image's release tags
 * (release-config.ts); the signing key comes from `env` as publish would read it.
 */
export function describePublishPlan(
  task: ImageTask,
  tagFormat: ReleaseTagFormat,
  version: string,
  vulnerabilityDatabase: VulnerabilityDatabaseSettings | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const image = task.workspace.projects.get(task.project)!;
  const [release, ...lines] = referencesToPush(task, image, tagFormat, version);
  const attached = vulnerabilityDatabase ? 'the SBOM and the verdict' : 'the SBOM';
  return (
    `would build or reuse ${image.definition.name}:${version}, run its checks, make its SBOM, ${describeGate(vulnerabilityDatabase)}, push ${release}, ` +
    `${describeSigningKey(env)}, attach ${attached} to it${lines.length ? `, then push ${lines.join(', ')}` : ''} (an existing ${image.definition.name}:${version} with another digest stops the publish)`
  );
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
 * must carry its git tag, named by `tagFormat`): builds or reuses it and its
 * parents, runs its checks, makes its SBOM, runs the vulnerability gate (when
 * nx.json names a database), pushes X.Y.Z, signs that digest and attaches the
 * SBOM and the verdict to it, then pushes the lines it leads. Re-running
 * finishes what a failed run left; an X.Y.Z that points to another image is
 * never replaced. The signing key is read by the caller, before any of this.
 */
export async function publishImage(docker: Docker, task: ImageTask, tagFormat: ReleaseTagFormat, supplyChain: SupplyChain): Promise<void> {
  const image = task.workspace.projects.get(task.project)!;
  const { version } = image;
  const name = image.definition.name;
  const tag = releaseTagName(tagFormat, version);
  if (!tagCommit(task.workspaceRoot, tag)) {
    task.print(`${name}:${version} is not released (no git tag ${tag}): nothing to publish`);
    return;
  }
  assertSourcesMatchTag(task, tag);

  const key = task.keys.get(image.project)!;
  const names = imageNames(task, image.project);
  const contentReference = names.inRegistry(names.contentTag);
  const references = referencesToPush(task, image, tagFormat, version);
  // Finished before (by this or an earlier run): nothing to pull, build or push.
  const sharedDigest = await registryTagDigest(contentReference);
  const { signingKey, vulnerabilityDatabase } = supplyChain;
  if ((await allPointTo(references, sharedDigest)) && (await hasAttachments(task.registry, name, sharedDigest!, !!vulnerabilityDatabase))) {
    // A publish of an earlier version of this tooling may have left it unsigned; signing again adds nothing.
    const signed = await signImage(task.registry, name, sharedDigest!, signingKey);
    task.print(`already published: ${references.join(', ')} = ${sharedDigest}${signed.added ? `; signed it now (${signed.signatureReference})` : ', signed'}`);
    return;
  }

  // No source change since the previous release (a security refresh or a new base): resolve packages anew, not from BuildKit's cache.
  const previous = latestRelease(tagFormat, listTags(task.workspaceRoot), version);
  const noCache = !!previous && filesChangedSince(task.workspaceRoot, releaseTagName(tagFormat, previous), [image.root], RELEASE_FILES).length === 0;
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
  // The gate reads the packages from the local image, before anything is pushed.
  const repository = `${task.registry.replace(/\/+$/, '')}/${name}`;
  const sbomPath = sbomFile(task.workspaceRoot, image.project);
  const localSbom = await imageSbom(docker, names.content);
  writeSbom(sbomPath, localSbom);
  const verdict = await releaseGate(task, localSbom, vulnerabilityDatabase);
  const scanned = Date.now();

  const { digest } = await pushAs(docker, record!.id, contentReference);
  const existing = await registryTagDigest(references[0]);
  if (existing && existing !== digest) {
    throw new UserError(
      `${references[0]} already exists as ${existing} and this build of ${name}:${version} is ${digest}; a published version is never replaced: release a new version (\`npx nx release patch --projects=${image.project}\`).`,
    );
  }
  if (existing !== digest) await pushAs(docker, record!.id, references[0]);
  const pushed = Date.now();

  // Signed and described by digest, never by tag: a moved tag then no longer verifies.
  const signed = await signImage(task.registry, name, digest, signingKey);
  task.print(`${signed.added ? 'signed' : 'already signed'} ${repository}@${digest} with the key from ${signingKey.source} (${signingKey.fingerprint}) -> ${signed.signatureReference}`);
  // The SBOM attached names the registry digest, which exists only now: read again from the image, for that digest.
  const sbomText = writeSbom(sbomPath, await imageSbom(docker, names.content, { repository, digest }));
  const sbom = await attachSbom(task.registry, name, digest, sbomText);
  task.print(`SBOM -> ${repository}:${sbom.tag} and ${relative(task.workspaceRoot, sbomPath)}`);
  if (verdict) task.print(`vulnerability verdict -> ${repository}:${await attachVerdict(task.registry, name, digest, verdict)}`);
  const attached = Date.now();

  for (const reference of references.slice(1)) {
    if ((await registryTagDigest(reference)) === digest) continue;
    await pushAs(docker, record!.id, reference);
  }
  const local = await inspectLocalImage(docker, record!.id);
  const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
  const pushSeconds = (pushed - scanned + (Date.now() - attached)) / 1000;
  // build, checks and push first, in the form the release bench reads.
  task.print(
    `publish phases: build ${seconds(started, built)}s, checks ${seconds(built, checked)}s, push ${pushSeconds.toFixed(1)}s, ` +
      `sbom and gate ${seconds(checked, scanned)}s, sign and attach ${seconds(pushed, attached)}s`,
  );
  task.print(`published ${references.join(', ')} = ${digest} (${local ? formatImageSize(local) : 'size unknown'})`);
}
