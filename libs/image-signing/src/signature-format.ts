/**
 * Cosign's signature format ("simple signing" payload in an OCI manifest), as cosign writes it and as
 * containers/image (skopeo, podman) reads it with a `sigstoreSigned` policy.
 */

/** The layer media type of one signature: its blob is the payload that was signed. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The layer annotation holding the base64 of the ASN.1 DER ECDSA signature over the payload's bytes. */
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** The payload's `critical.type`: anything else is refused by every verifier. */
export const SIGNATURE_TYPE = 'cosign container image signature';
/** The config of a signature manifest: an image config with the payloads as layers, as go-containerregistry makes it. */
export const SIGNATURE_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
/** The tag suffix of cosign's tag scheme for signatures: `sha256-<hex>.sig`. */
export const SIGNATURE_TAG_SUFFIX = 'sig';

/** What a payload says: the image it signs, by digest, and the repository it was signed for. */
export interface SimpleSigningPayload {
  /** `registry/repository`, no tag: cosign's `docker-reference`, matched by skopeo's `matchRepository` identity. */
  dockerReference: string;
  /** `sha256:<hex>` of the image manifest. */
  manifestDigest: string;
  /** cosign's `-a key=value` annotations; `null` in the payload when there are none, as cosign writes it. */
  optional: Record<string, unknown> | null;
}

/** One line saying why a payload is not a cosign payload; verifiers turn it into their own message. */
export class PayloadFormatError extends Error {}

/**
 * The exact bytes cosign signs: `{"critical":{"identity":{"docker-reference":...},"image":{"docker-manifest-digest":...},
 * "type":"cosign container image signature"},"optional":null}`, keys in that order, no spaces (Go's json.Marshal).
 */
export function simpleSigningPayload(dockerReference: string, manifestDigest: string, optional: Record<string, string> | null = null): Buffer {
  if (!/^sha256:[0-9a-f]{64}$/.test(manifestDigest)) throw new PayloadFormatError(`${manifestDigest} is not a sha256 manifest digest`);
  const payload = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': manifestDigest },
      type: SIGNATURE_TYPE,
    },
    optional: optional && Object.keys(optional).length > 0 ? optional : null,
  };
  return Buffer.from(JSON.stringify(payload));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exactly `fields`, as containers/image demands of `critical` and its parts: an extra field may carry a claim nobody checks. */
function exactObject(value: unknown, where: string, fields: string[]): Record<string, unknown> {
  if (!isObject(value)) throw new PayloadFormatError(`${where} is not a JSON object`);
  const keys = Object.keys(value).sort();
  if (keys.join(',') !== [...fields].sort().join(',')) throw new PayloadFormatError(`${where} has fields ${keys.join(', ') || 'none'}, expected exactly ${fields.join(', ')}`);
  return value;
}

function stringField(object: Record<string, unknown>, field: string, where: string): string {
  const value = object[field];
  if (typeof value !== 'string') throw new PayloadFormatError(`${where}.${field} is not a string`);
  return value;
}

/**
 * Reads a payload as strictly as containers/image does: `critical` and `optional` only at the top, exactly
 * `identity`, `image` and `type` in `critical`, the signature type cosign writes. Call it only on a payload whose
 * signature verified: before that, nothing in it is known to come from the key's owner.
 */
export function parseSimpleSigningPayload(bytes: Buffer): SimpleSigningPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new PayloadFormatError(`the payload is not JSON (${(error as Error).message})`);
  }
  const top = exactObject(parsed, 'the payload', ['critical', 'optional']);
  const critical = exactObject(top.critical, 'critical', ['identity', 'image', 'type']);
  const type = stringField(critical, 'type', 'critical');
  if (type !== SIGNATURE_TYPE) throw new PayloadFormatError(`critical.type is "${type}", not "${SIGNATURE_TYPE}"`);
  const identity = exactObject(critical.identity, 'critical.identity', ['docker-reference']);
  const image = exactObject(critical.image, 'critical.image', ['docker-manifest-digest']);
  const optional = top.optional;
  if (optional !== null && !isObject(optional)) throw new PayloadFormatError('optional is neither null nor a JSON object');
  return {
    dockerReference: stringField(identity, 'docker-reference', 'critical.identity'),
    manifestDigest: stringField(image, 'docker-manifest-digest', 'critical.image'),
    optional,
  };
}

/**
 * The config blob of a signature manifest, as cosign's go-containerregistry makes it for payload layers:
 * an empty image config whose diff_ids are the payloads' digests (they are not compressed).
 */
export function signatureConfig(layerDigests: readonly string[]): Buffer {
  const epoch = '0001-01-01T00:00:00Z';
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: epoch,
      history: layerDigests.map(() => ({ created: epoch })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layerDigests },
      config: {},
    }),
  );
}
