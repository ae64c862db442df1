import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactTag, pushArtifact, readArtifact } from '@taskforge/engine';
import { ensureDebianPackages } from '@taskforge/engine-setup';
import {
  generateSigningKeyPair,
  loadSigningKey,
  loadVerificationKey,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signImage,
  verifyImage,
  type SigningKey,
  type VerificationKey,
} from '../src';
import { opensslVerifies, Skopeo, startScratchRegistry, upstreamSkopeoImage, type ScratchRegistry } from '@taskforge/testing';
import { tinyImages, type TinyImages } from './tiny-images';

// Our signatures as clients nobody here wrote see them: Debian 13's skopeo reads them from the registry (cosign's
// tag scheme, OCI manifest, simple signing layers) and gives its sigstoreSigned policy verdict with our public key;
// OpenSSL checks the ECDSA signatures skopeo extracted. verifyImage must agree with both and say why in one line.
const PORT = 5301;

interface KeyPair {
  signing: SigningKey;
  verification: VerificationKey;
  publicKeyFile: string;
}

let registry: ScratchRegistry;
let images: TinyImages;
let skopeo: Skopeo;
let work: string;
let ours: KeyPair;
let theirs: KeyPair;

function keyPair(name: string): KeyPair {
  const pem = generateSigningKeyPair();
  const publicKeyFile = join(work, `${name}.pub`);
  writeFileSync(publicKeyFile, pem.publicKey);
  return { signing: loadSigningKey(pem.privateKey, `${name}.key`), verification: loadVerificationKey(pem.publicKey, `${name}.pub`), publicKeyFile };
}

async function verdict(reference: string, key: VerificationKey): Promise<string> {
  return verifyImage(reference, key).then(
    (verified) => `verified ${verified.digest}`,
    (error: Error) => error.message,
  );
}

beforeAll(async () => {
  const print = (line: string) => console.log(`[signing test] ${line}`);
  ensureDebianPackages(['openssl', 'mmdebstrap'], print);
  const skopeoImage = await upstreamSkopeoImage(print);
  work = mkdtempSync(join(tmpdir(), 'signing-skopeo-'));
  ours = keyPair('ours');
  theirs = keyPair('theirs');
  registry = await startScratchRegistry(PORT);
  skopeo = new Skopeo(work, registry.address, skopeoImage);
  images = await tinyImages();
}, 600_000);

afterAll(async () => {
  await images?.remove();
  await registry?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("cosign-format signatures under skopeo's sigstoreSigned policy, checked again by OpenSSL", () => {
  it('a signed image: skopeo copies it under a policy requiring our key and refuses it under another key; OpenSSL agrees', async () => {
    const reference = `${registry.address}/app:1.0.0`;
    const digest = await images.push(reference, 'signed');
    const signed = await signImage(registry.address, 'app', digest, ours.signing);
    expect(signed).toMatchObject({ added: true, signatures: 1, signatureReference: `${registry.address}/app:${artifactTag(digest, 'sig')}` });

    const copy = skopeo.extract(reference);
    expect(copy.manifestDigest).toBe(digest);
    expect(copy.signatures).toHaveLength(1);
    const [signature] = copy.signatures;
    expect(signature.mimeType).toBe(SIMPLE_SIGNING_MEDIA_TYPE);
    expect(JSON.parse(signature.payload.toString())).toEqual({
      critical: { identity: { 'docker-reference': `${registry.address}/app` }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
      optional: null,
    });
    expect(opensslVerifies(work, ours.publicKeyFile, signature.payload, signature.annotations[SIGNATURE_ANNOTATION])).toBe(true);
    expect(opensslVerifies(work, theirs.publicKeyFile, signature.payload, signature.annotations[SIGNATURE_ANNOTATION])).toBe(false);

    expect(skopeo.verdict(reference, ours.publicKeyFile)).toBe('accepted');
    expect(skopeo.verdict(`${registry.address}/app@${digest}`, ours.publicKeyFile)).toBe('accepted');
    expect(skopeo.verdict(reference, theirs.publicKeyFile)).toBe('made by another key');
    expect(await verdict(reference, ours.verification)).toBe(`verified ${digest}`);
  }, 120_000);

  it('an image nobody signed: skopeo refuses it, finding no signature', async () => {
    const reference = `${registry.address}/never-signed:1.0.0`;
    const digest = await images.push(reference, 'never signed');

    expect(skopeo.extract(reference).signatures).toEqual([]);
    expect(skopeo.verdict(reference, ours.publicKeyFile)).toBe('no signature');
    expect(await verdict(reference, ours.verification)).toBe(
      `${reference} (${digest}) has no signature (no ${registry.address}/never-signed:${artifactTag(digest, 'sig')}); sign it after pushing it (nx release publish does), or check the registry.`,
    );
  }, 120_000);

  it('a tag pushed again after signing: skopeo refuses the tag, and still copies the signed digest', async () => {
    const reference = `${registry.address}/moved:1.0.0`;
    const signedDigest = await images.push(reference, 'moved, first');
    await signImage(registry.address, 'moved', signedDigest, ours.signing);
    const newDigest = await images.push(reference, 'moved, second');

    expect(skopeo.extract(reference)).toMatchObject({ manifestDigest: newDigest, signatures: [] });
    expect(skopeo.verdict(reference, ours.publicKeyFile)).toBe('no signature');
    const message = await verdict(reference, ours.verification);
    expect(message).toBe(
      `${reference} points to ${newDigest}, which has no signature (no ${registry.address}/moved:${artifactTag(newDigest, 'sig')}), though 1 other digest(s) of ${registry.address}/moved are signed (e.g. ${signedDigest.slice(0, 19)}…): the tag was pushed again after signing, or this push was never signed; push the signed image back to the tag, or sign ${newDigest}.`,
    );
    // The image that was signed still passes, by its digest.
    expect(skopeo.verdict(`${registry.address}/moved@${signedDigest}`, ours.publicKeyFile)).toBe('accepted');
    expect(await verdict(`${registry.address}/moved@${signedDigest}`, ours.verification)).toBe(`verified ${signedDigest}`);
  }, 120_000);

  it("another image's signature copied to this image's .sig tag: valid ECDSA, but for another digest", async () => {
    const signedDigest = await images.push(`${registry.address}/copied:signed`, 'copied, signed');
    await signImage(registry.address, 'copied', signedDigest, ours.signing);
    const reference = `${registry.address}/copied:unsigned`;
    const otherDigest = await images.push(reference, 'copied, unsigned');
    const original = (await readArtifact(registry.address, 'copied', artifactTag(signedDigest, 'sig')))!;
    await pushArtifact(registry.address, 'copied', artifactTag(otherDigest, 'sig'), {
      config: { mediaType: original.manifest.config.mediaType, data: Buffer.from('{}') },
      layers: original.layers.map((layer) => ({ mediaType: layer.descriptor.mediaType, data: layer.data, annotations: layer.descriptor.annotations })),
    });

    const copy = skopeo.extract(reference);
    expect(copy.manifestDigest).toBe(otherDigest);
    const [signature] = copy.signatures;
    expect(opensslVerifies(work, ours.publicKeyFile, signature.payload, signature.annotations[SIGNATURE_ANNOTATION])).toBe(true);
    expect(JSON.parse(signature.payload.toString()).critical.image['docker-manifest-digest']).toBe(signedDigest);
    expect(skopeo.verdict(reference, ours.publicKeyFile)).toBe('for another digest');
    expect(await verdict(reference, ours.verification)).toContain(`signs ${signedDigest}, another image: the signature was copied to this tag`);
  }, 120_000);

  it('a signature made with another key is refused; ours appended beside it is accepted under either key, and both stay', async () => {
    const reference = `${registry.address}/two-keys:1.0.0`;
    const digest = await images.push(reference, 'two keys');
    await signImage(registry.address, 'two-keys', digest, theirs.signing);

    const [theirSignature] = skopeo.extract(reference).signatures;
    expect(opensslVerifies(work, ours.publicKeyFile, theirSignature.payload, theirSignature.annotations[SIGNATURE_ANNOTATION])).toBe(false);
    expect(skopeo.verdict(reference, ours.publicKeyFile)).toBe('made by another key');
    expect(await verdict(reference, ours.verification)).toContain(`1 signature(s) in ${registry.address}/two-keys:${artifactTag(digest, 'sig')}, none made by the key in ours.pub`);

    expect(await signImage(registry.address, 'two-keys', digest, ours.signing)).toMatchObject({ added: true, signatures: 2 });
    const both = skopeo.extract(reference).signatures;
    expect(both.map((signature) => [ours, theirs].map((key) => opensslVerifies(work, key.publicKeyFile, signature.payload, signature.annotations[SIGNATURE_ANNOTATION])))).toEqual([
      [false, true],
      [true, false],
    ]);
    expect(skopeo.verdict(reference, ours.publicKeyFile)).toBe('accepted');
    expect(skopeo.verdict(reference, theirs.publicKeyFile)).toBe('accepted');
    expect(await verdict(reference, ours.verification)).toBe(`verified ${digest}`);
    expect(await verdict(reference, theirs.verification)).toBe(`verified ${digest}`);
    // Signing again with a key that already signed adds nothing.
    expect(await signImage(registry.address, 'two-keys', digest, ours.signing)).toMatchObject({ added: false, signatures: 2 });
  }, 120_000);
});
