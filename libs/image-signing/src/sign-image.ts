import { artifactTag, contentDigest, pushArtifact, readArtifact, readManifest, type ArtifactLayer } from '@taskforge/engine';
import { UserError } from '@taskforge/user-errors';
import {
  SIGNATURE_ANNOTATION,
  SIGNATURE_CONFIG_MEDIA_TYPE,
  SIGNATURE_TAG_SUFFIX,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signatureConfig,
  simpleSigningPayload,
} from './signature-format';
import { acceptedSignature } from './signature-check';
import { signPayload, type SigningKey } from './signing-keys';
import { refuseTransparencyLog, type TransparencyLogOptions } from './transparency-log';

export interface SignOptions extends TransparencyLogOptions {
  /** cosign's `-a key=value`: written into the payload's `optional` (signed, and ignored by verifiers that do not ask). */
  annotations?: Record<string, string>;
}

export interface SignResult {
  /** `registry/repository`: the payload's `docker-reference`. */
  dockerReference: string;
  /** The image manifest digest signed. */
  digest: string;
  /** `registry/repository:sha256-<hex>.sig`. */
  signatureReference: string;
  /** The digest of the signature manifest now under that tag. */
  signatureManifestDigest: string;
  /** False when a signature of this key for this image was there already (nothing was pushed). */
  added: boolean;
  /** Signatures the tag holds now, this one included. */
  signatures: number;
}

/** How a manifest's stored layer goes into the next version of that manifest. */
function keptLayer(layer: { descriptor: { mediaType: string; annotations?: Record<string, string> }; data: Buffer }): ArtifactLayer {
  return { mediaType: layer.descriptor.mediaType, data: layer.data, ...(layer.descriptor.annotations ? { annotations: layer.descriptor.annotations } : {}) };
}

/**
 * Signs the image manifest `digest` of `registry/repository` the way `cosign sign --key --tlog-upload=false` does:
 * an ECDSA P-256 signature over the simple signing payload, stored as one layer of the OCI manifest tagged
 * `sha256-<hex>.sig` in the same repository. Signatures already there (other keys, other signers) are kept and this
 * one is appended; a signature of the same key for the same image makes this a no-op. `registry` is host[:port],
 * optionally with a namespace (IMAGE_REGISTRY's form).
 *
 * The tag is read, extended and written back: two signers appending at the same moment can lose one signature
 * (registries offer no compare-and-swap on tags), so sign from one place, e.g. the release publish.
 */
export async function signImage(registry: string, repository: string, digest: string, key: SigningKey, options: SignOptions = {}): Promise<SignResult> {
  refuseTransparencyLog(options, 'sign');
  const dockerReference = `${registry.replace(/\/+$/, '')}/${repository}`;
  const tag = artifactTag(digest, SIGNATURE_TAG_SUFFIX);
  const image = await readManifest(registry, repository, digest);
  if (!image) throw new UserError(`${dockerReference}@${digest}: no such image in the registry; push it before signing it.`);

  const existing = await readArtifact(registry, repository, tag);
  const kept = existing?.layers ?? [];
  const result = { dockerReference, digest, signatureReference: `${dockerReference}:${tag}` };
  if (kept.some((layer) => acceptedSignature(layer, key.publicKey, dockerReference, digest).accepted)) {
    return { ...result, signatureManifestDigest: existing!.descriptor.digest, added: false, signatures: kept.length };
  }

  const payload = simpleSigningPayload(dockerReference, digest, options.annotations ?? null);
  const signature = signPayload(key, payload).toString('base64');
  const layers: ArtifactLayer[] = [...kept.map(keptLayer), { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, data: payload, annotations: { [SIGNATURE_ANNOTATION]: signature } }];
  const layerDigests = [...kept.map((layer) => layer.descriptor.digest), contentDigest(payload)];
  const pushed = await pushArtifact(registry, repository, tag, {
    config: { mediaType: SIGNATURE_CONFIG_MEDIA_TYPE, data: signatureConfig(layerDigests) },
    layers,
    subject: image.descriptor,
  });
  return { ...result, signatureManifestDigest: pushed.digest, added: true, signatures: layers.length };
}
