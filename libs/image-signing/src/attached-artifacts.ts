import { artifactTag, readManifest, type ContentDescriptor } from '@taskforge/engine';
import { UserError } from '@taskforge/user-errors';

/** The artifacts published beside an image under cosign's tag scheme, besides its signature: the SBOM and the vulnerability verdict. */
export const ATTACHED_ARTIFACT_SUFFIXES = ['sbom', 'vuln'] as const;

export interface AttachedArtifact {
  /** `sbom`, `vuln`, ... */
  suffix: string;
  /** `registry/repository:sha256-<hex>.<suffix>` */
  reference: string;
  /** The artifact manifest's digest. */
  digest: string;
}

/**
 * The artifacts tagged `sha256-<hex>.<suffix>` for `image`, each checked to be about that very image: its manifest's
 * `subject` must name the image's digest. One copied from another image's tag (an SBOM of other content passed off
 * as this one's) is a UserError. Absent artifacts are skipped: whether one is required is the caller's call.
 */
export async function checkAttachedArtifacts(
  registry: string,
  repository: string,
  image: ContentDescriptor,
  suffixes: readonly string[] = ATTACHED_ARTIFACT_SUFFIXES,
): Promise<AttachedArtifact[]> {
  const found: AttachedArtifact[] = [];
  for (const suffix of suffixes) {
    const tag = artifactTag(image.digest, suffix);
    const reference = `${registry.replace(/\/+$/, '')}/${repository}:${tag}`;
    const artifact = await readManifest(registry, repository, tag);
    if (!artifact) continue;
    const subject = artifact.manifest.subject?.digest;
    if (subject !== image.digest) {
      throw new UserError(
        `${reference} is about ${subject ?? 'no image (its manifest has no subject)'}, not ${image.digest}: it does not describe this image; attach the ${suffix} made from ${image.digest} again.`,
      );
    }
    found.push({ suffix, reference, digest: artifact.descriptor.digest });
  }
  return found;
}
