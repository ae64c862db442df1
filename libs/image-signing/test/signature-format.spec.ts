import { createPublicKey, verify } from 'node:crypto';
import {
  acceptedSignature,
  generateSigningKeyPair,
  loadSigningKey,
  parseSimpleSigningPayload,
  SIGNATURE_ANNOTATION,
  signatureConfig,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signPayload,
  simpleSigningPayload,
  type SignatureLayer,
} from '../src';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER_DIGEST = `sha256:${'cd'.repeat(32)}`;
const REPOSITORY = 'localhost:5000/openclaw-base';

describe('the simple signing payload', () => {
  it('is byte for byte what cosign signs: keys in its order, no spaces, optional null without annotations', () => {
    expect(simpleSigningPayload(REPOSITORY, DIGEST).toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"localhost:5000/openclaw-base"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
    );
    expect(simpleSigningPayload(REPOSITORY, DIGEST, {}).toString()).toContain('"optional":null');
    expect(JSON.parse(simpleSigningPayload(REPOSITORY, DIGEST, { tag: '1.0.0' }).toString()).optional).toEqual({ tag: '1.0.0' });
  });

  it('refuses to sign anything but a sha256 manifest digest', () => {
    expect(() => simpleSigningPayload(REPOSITORY, 'latest')).toThrow('latest is not a sha256 manifest digest');
  });

  it('reads back what it writes, cosign annotations included', () => {
    expect(parseSimpleSigningPayload(simpleSigningPayload(REPOSITORY, DIGEST, { tag: '1.0.0' }))).toEqual({ dockerReference: REPOSITORY, manifestDigest: DIGEST, optional: { tag: '1.0.0' } });
  });

  it('is read as strictly as containers/image reads it: exact fields, the cosign type, an object or null as optional', () => {
    const critical = { identity: { 'docker-reference': REPOSITORY }, image: { 'docker-manifest-digest': DIGEST }, type: 'cosign container image signature' };
    const parse = (payload: unknown) => () => parseSimpleSigningPayload(Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));
    expect(parse({ critical, optional: null, extra: 1 })).toThrow('the payload has fields critical, extra, optional, expected exactly critical, optional');
    expect(parse({ critical: { ...critical, claim: 'x' }, optional: null })).toThrow('critical has fields claim, identity, image, type');
    expect(parse({ critical: { ...critical, type: 'atomic container signature' }, optional: null })).toThrow('critical.type is "atomic container signature"');
    expect(parse({ critical: { ...critical, image: { 'docker-manifest-digest': 1 } }, optional: null })).toThrow('critical.image.docker-manifest-digest is not a string');
    expect(parse({ critical })).toThrow('expected exactly critical, optional');
    expect(parse({ critical, optional: [] })).toThrow('optional is neither null nor a JSON object');
    expect(parse('{"critical":')).toThrow('the payload is not JSON');
  });
});

describe('a signature layer', () => {
  const key = loadSigningKey(generateSigningKeyPair().privateKey, 'test key');
  const other = loadSigningKey(generateSigningKeyPair().privateKey, 'other key');
  const layer = (payload: Buffer, signer = key, mediaType = SIMPLE_SIGNING_MEDIA_TYPE): SignatureLayer => ({
    descriptor: { mediaType, annotations: { [SIGNATURE_ANNOTATION]: signPayload(signer, payload).toString('base64') } },
    data: payload,
  });

  it('carries an ASN.1 DER ECDSA P-256 SHA-256 signature that any verifier holding only the public PEM accepts', () => {
    const payload = simpleSigningPayload(REPOSITORY, DIGEST);
    const signature = signPayload(key, payload);
    expect(signature[0]).toBe(0x30); // a DER SEQUENCE of r and s, not the raw 64-byte form
    const publicPem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(verify('sha256', payload, { key: createPublicKey(publicPem), dsaEncoding: 'der' }, signature)).toBe(true);
  });

  it('is accepted for the digest and repository it names, with the key that made it', () => {
    expect(acceptedSignature(layer(simpleSigningPayload(REPOSITORY, DIGEST)), key.publicKey, REPOSITORY, DIGEST)).toEqual({
      accepted: true,
      payload: { dockerReference: REPOSITORY, manifestDigest: DIGEST, optional: null },
    });
  });

  it('is refused, saying why, for another key, another digest, another repository, a changed payload or no signature', () => {
    const payload = simpleSigningPayload(REPOSITORY, DIGEST);
    const check = (candidate: SignatureLayer, digest = DIGEST, repository = REPOSITORY) => acceptedSignature(candidate, key.publicKey, repository, digest);
    expect(check(layer(payload, other))).toMatchObject({ accepted: false, refusal: 'other-key' });
    expect(check(layer(payload), OTHER_DIGEST)).toEqual({ accepted: false, refusal: 'other-digest', detail: DIGEST });
    expect(check(layer(payload), DIGEST, 'localhost:5000/openclaw-agent-go')).toEqual({ accepted: false, refusal: 'other-repository', detail: REPOSITORY });
    const changed = { ...layer(payload), data: simpleSigningPayload(REPOSITORY, OTHER_DIGEST) };
    expect(check(changed, OTHER_DIGEST)).toMatchObject({ accepted: false, refusal: 'other-key' });
    expect(check({ descriptor: { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, annotations: {} }, data: payload })).toMatchObject({ accepted: false, refusal: 'unsigned-layer' });
    expect(check({ ...layer(payload), descriptor: { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, annotations: { [SIGNATURE_ANNOTATION]: 'bm90IERFUg==' } } })).toMatchObject({ accepted: false, refusal: 'other-key' });
    expect(check(layer(payload, key, 'application/vnd.in-toto+json'))).toMatchObject({ accepted: false, refusal: 'not-a-signature' });
  });
});

describe('the signature manifest config', () => {
  it('is the empty image config go-containerregistry writes for cosign: one history entry and one diff_id per payload', () => {
    expect(JSON.parse(signatureConfig([DIGEST, OTHER_DIGEST]).toString())).toEqual({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }, { created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: [DIGEST, OTHER_DIGEST] },
      config: {},
    });
  });
});
