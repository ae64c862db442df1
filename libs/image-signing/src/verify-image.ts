import { artifactTag, listTags, readArtifact, readManifest } from '@taskforge/engine';
import { parseImageReference } from '@taskforge/image-model';
import { UserError } from '@taskforge/user-errors';
import { checkAttachedArtifacts, type AttachedArtifact } from './attached-artifacts';
import { acceptedSignature, REFUSALS, type Refusal } from './signature-check';
import { SIGNATURE_TAG_SUFFIX, SIMPLE_SIGNING_MEDIA_TYPE, type SimpleSigningPayload } from './signature-format';
import type { VerificationKey } from './signing-keys';
import { refuseTransparencyLog, type TransparencyLogOptions } from './transparency-log';

/** c/image's limit on one signature payload: a `.sig` layer larger than this is not a signature. */
const MAX_SIGNATURE_PAYLOAD_BYTES = 4 * 1024 * 1024;

export interface VerifyOptions extends TransparencyLogOptions {
  /** Artifact tag suffixes (`sbom`, `vuln`) whose subject must name the verified digest when present; default both. */
  attachments?: readonly string[];
}

export interface VerifiedImage {
  /** As given. */
  reference: string;
  /** The image manifest digest the reference resolved to and the signature names. */
  digest: string;
  /** `registry/repository` the signature was made for. */
  dockerReference: string;
  /** `registry/repository:sha256-<hex>.sig` */
  signatureReference: string;
  /** The accepted signature's payload (its `optional` holds the signer's annotations). */
  payload: SimpleSigningPayload;
  /** SBOM and verdict artifacts found beside the image, each about this digest. */
  attachments: AttachedArtifact[];
}

/** Other signed digests of the repository: when a tag's digest has none, they tell a moved tag from a never signed image. */
async function otherSignedDigests(registry: string, repository: string, digest: string): Promise<string[]> {
  const own = artifactTag(digest, SIGNATURE_TAG_SUFFIX);
  return (await listTags(registry, repository))
    .filter((tag) => tag !== own && /^sha256-[0-9a-f]{64}\.sig$/.test(tag))
    .map((tag) => tag.replace(/^sha256-/, 'sha256:').replace(/\.sig$/, ''));
}

function short(digest: string): string {
  return digest.slice(0, 19);
}

/**
 * Checks that `reference` (`registry/repository:tag` or `@sha256:...`) is signed by `key` the way skopeo's
 * `sigstoreSigned` policy with `keyPath` and a `matchRepository` identity does, and cosign's `verify --key`:
 * the digest the registry serves for the reference now has a `sha256-<hex>.sig` manifest with a simple signing layer
 * signed by the key, whose payload names that digest and this repository. Then any SBOM or verdict artifact beside
 * it must name the same digest. Every failure is one line: no signature, made by another key, a tag that moved to
 * another digest after signing, a signature copied from another image.
 */
export async function verifyImage(reference: string, key: VerificationKey, options: VerifyOptions = {}): Promise<VerifiedImage> {
  refuseTransparencyLog(options, 'verify');
  const parsed = parseImageReference(reference);
  if (!parsed.registry) throw new UserError(`${reference}: names no registry; use REGISTRY/NAME:TAG or REGISTRY/NAME@sha256:....`);
  const { registry, repository } = parsed;
  const dockerReference = `${registry}/${repository}`;
  const image = await readManifest(registry, repository, parsed.digest ?? parsed.tag ?? 'latest');
  if (!image) throw new UserError(`${reference}: no such image in ${registry}; check the name and tag, or push it first.`);
  const digest = image.descriptor.digest;
  const signatureTag = artifactTag(digest, SIGNATURE_TAG_SUFFIX);
  const signatureReference = `${dockerReference}:${signatureTag}`;
  const pointsTo = parsed.digest ? reference : `${reference} (${digest})`;

  const signatures = await readArtifact(registry, repository, signatureTag, { maxLayerBytes: MAX_SIGNATURE_PAYLOAD_BYTES });
  const layers = (signatures?.layers ?? []).filter((layer) => layer.descriptor.mediaType === SIMPLE_SIGNING_MEDIA_TYPE);
  if (layers.length === 0) {
    const others = parsed.digest ? [] : await otherSignedDigests(registry, repository, digest);
    if (others.length > 0) {
      throw new UserError(
        `${reference} points to ${digest}, which has no signature (no ${signatureReference}), though ${others.length} other digest(s) of ${dockerReference} are signed (e.g. ${short(others[0])}…): the tag was pushed again after signing, or this push was never signed; push the signed image back to the tag, or sign ${digest}.`,
      );
    }
    throw new UserError(`${pointsTo} has no signature (no ${signatureReference}); sign it after pushing it (nx release publish does), or check the registry.`);
  }

  let worst: { refusal: Refusal; detail: string } | undefined;
  for (const layer of layers) {
    const verdict = acceptedSignature(layer, key.publicKey, dockerReference, digest);
    if (verdict.accepted) {
      const attachments = await checkAttachedArtifacts(registry, repository, image.descriptor, options.attachments);
      return { reference, digest, dockerReference, signatureReference, payload: verdict.payload, attachments };
    }
    if (!worst || REFUSALS.indexOf(verdict.refusal) > REFUSALS.indexOf(worst.refusal)) worst = verdict;
  }
  const count = `${layers.length} signature(s) in ${signatureReference}`;
  switch (worst!.refusal) {
    case 'other-digest':
      throw new UserError(`${pointsTo}: ${count}, but the one made by ${key.source} signs ${worst!.detail}, another image: the signature was copied to this tag; sign ${digest} itself.`);
    case 'other-repository':
      throw new UserError(`${pointsTo}: ${count}, but the one made by ${key.source} was made for ${worst!.detail}, not ${dockerReference}; sign the image in this repository.`);
    case 'bad-payload':
      throw new UserError(`${pointsTo}: ${count}, but the one made by ${key.source} has a payload cosign and skopeo refuse (${worst!.detail}); sign it again.`);
    default:
      throw new UserError(
        `${pointsTo}: ${count}, none made by the key in ${key.source} (${key.fingerprint}); it was signed with another key: sign it with the key pair of ${key.source}, or verify with the signer's public key.`,
      );
  }
}
