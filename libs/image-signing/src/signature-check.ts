import type { KeyObject } from 'node:crypto';
import { PayloadFormatError, parseSimpleSigningPayload, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, type SimpleSigningPayload } from './signature-format';
import { verifyPayload } from './signing-keys';

/** Why one signature layer was not accepted, most telling last: a verifier reports the most telling one it met. */
export const REFUSALS = ['not-a-signature', 'unsigned-layer', 'other-key', 'bad-payload', 'other-repository', 'other-digest'] as const;
export type Refusal = (typeof REFUSALS)[number];

export type SignatureVerdict =
  | { accepted: true; payload: SimpleSigningPayload }
  | { accepted: false; refusal: Refusal; detail: string };

/** One layer of a `.sig` manifest as a verifier reads it. */
export interface SignatureLayer {
  descriptor: { mediaType: string; annotations?: Record<string, string> };
  data: Buffer;
}

/**
 * Checks one layer the way containers/image's `sigstoreSigned` requirement does with a `matchRepository` identity:
 * a simple signing layer whose annotation is the key's signature over the blob, whose payload is well formed and
 * names exactly this image digest and this repository. The payload is read only after its signature verified.
 */
export function acceptedSignature(layer: SignatureLayer, publicKey: KeyObject, dockerReference: string, digest: string): SignatureVerdict {
  if (layer.descriptor.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) return { accepted: false, refusal: 'not-a-signature', detail: layer.descriptor.mediaType };
  const base64 = layer.descriptor.annotations?.[SIGNATURE_ANNOTATION];
  if (!base64) return { accepted: false, refusal: 'unsigned-layer', detail: `no ${SIGNATURE_ANNOTATION} annotation` };
  if (!verifyPayload(publicKey, layer.data, Buffer.from(base64, 'base64'))) return { accepted: false, refusal: 'other-key', detail: 'made by another key' };
  let payload: SimpleSigningPayload;
  try {
    payload = parseSimpleSigningPayload(layer.data);
  } catch (error) {
    if (error instanceof PayloadFormatError) return { accepted: false, refusal: 'bad-payload', detail: error.message };
    throw error;
  }
  if (payload.manifestDigest !== digest) return { accepted: false, refusal: 'other-digest', detail: payload.manifestDigest };
  if (payload.dockerReference !== dockerReference) return { accepted: false, refusal: 'other-repository', detail: payload.dockerReference };
  return { accepted: true, payload };
}
