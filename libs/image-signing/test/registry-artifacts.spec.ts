import { artifactTag, contentDigest, listTags, OCI_EMPTY_CONFIG, OCI_IMAGE_MANIFEST, pushArtifact, readArtifact, readManifest, resolveManifest } from '@taskforge/engine';
import { generateSigningKeyPair, loadSigningKey, loadVerificationKey, signImage, verifyImage } from '../src';
import { startAuthRegistry, startScratchRegistry, startTokenRegistry, type AuthRegistry, type ScratchRegistry, type TokenRegistry } from '@taskforge/testing';
import { tinyImages, type TinyImages } from './tiny-images';

// The registry artifact API of @taskforge/engine (cosign's tag scheme, OCI 1.1 manifests with a subject) and what
// verifyImage checks beside the signature, against real distribution registries: open, htpasswd and token auth.
// (The spec lives here: @taskforge/testing depends on @taskforge/engine, so an engine spec importing it would be a cycle.)
const PORT = 5302;
const TOKEN_REGISTRY_PORT = 5303;
const TOKEN_SERVICE_PORT = 5304;
const AUTH_REGISTRY_PORT = 5305;
const previousDockerConfig = process.env.DOCKER_CONFIG;

let registry: ScratchRegistry;
let images: TinyImages;
const pair = generateSigningKeyPair();
const key = loadSigningKey(pair.privateKey, 'test.key');
const publicKey = loadVerificationKey(pair.publicKey, 'test.pub');

/** The message of the UserError `promise` rejects with, which must be one line. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error?.name).toBe('UserError');
  expect(error!.message).not.toContain('\n');
  return error!.message;
}

beforeAll(async () => {
  registry = await startScratchRegistry(PORT);
  images = await tinyImages();
}, 120_000);

afterAll(async () => {
  if (previousDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
  else process.env.DOCKER_CONFIG = previousDockerConfig;
  await images?.remove();
  await registry?.remove();
});

describe('OCI artifacts by tag', () => {
  it('pushes an artifact and reads back exactly what was pushed: type, empty config, layers, annotations, subject', async () => {
    const imageDigest = await images.push(`${registry.address}/artifacts:1.0.0`, 'artifacts');
    const image = (await resolveManifest(registry.address, 'artifacts', '1.0.0'))!;
    expect(image.digest).toBe(imageDigest);
    const sbom = Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.6"}');
    const pushed = await pushArtifact(registry.address, 'artifacts', artifactTag(imageDigest, 'sbom'), {
      artifactType: 'application/vnd.cyclonedx+json',
      layers: [{ mediaType: 'application/vnd.cyclonedx+json', data: sbom, annotations: { 'org.opencontainers.image.title': 'sbom.cdx.json' } }],
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
      subject: image,
    });
    expect(pushed.mediaType).toBe(OCI_IMAGE_MANIFEST);

    const read = (await readArtifact(registry.address, 'artifacts', artifactTag(imageDigest, 'sbom')))!;
    expect(read.descriptor).toEqual(pushed);
    expect(read.manifest).toEqual({
      schemaVersion: 2,
      mediaType: OCI_IMAGE_MANIFEST,
      artifactType: 'application/vnd.cyclonedx+json',
      config: { mediaType: OCI_EMPTY_CONFIG, digest: contentDigest('{}'), size: 2 },
      layers: [{ mediaType: 'application/vnd.cyclonedx+json', digest: contentDigest(sbom), size: sbom.length, annotations: { 'org.opencontainers.image.title': 'sbom.cdx.json' } }],
      subject: { mediaType: image.mediaType, digest: imageDigest, size: image.size },
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    });
    expect(read.layers.map((layer) => layer.data.toString())).toEqual([sbom.toString()]);
    // By digest too, and the tag list shows cosign's scheme.
    expect((await readManifest(registry.address, 'artifacts', pushed.digest))!.bytes).toEqual(read.bytes);
    expect((await listTags(registry.address, 'artifacts')).sort()).toEqual(['1.0.0', `sha256-${imageDigest.slice(7)}.sbom`]);
    expect(await readArtifact(registry.address, 'artifacts', 'no-such-tag')).toBeUndefined();
    expect(await listTags(registry.address, 'no-such-repository')).toEqual([]);
  }, 60_000);

  it('signs and verifies under a registry namespace (IMAGE_REGISTRY=host:port/team)', async () => {
    const digest = await images.push(`${registry.address}/team/app:2.0.0`, 'namespaced');
    const signed = await signImage(`${registry.address}/team`, 'app', digest, key);
    expect(signed.dockerReference).toBe(`${registry.address}/team/app`);
    expect(await verifyImage(`${registry.address}/team/app:2.0.0`, publicKey)).toMatchObject({ digest, dockerReference: `${registry.address}/team/app` });
  }, 60_000);
});

describe('verifyImage beside the signature', () => {
  it('lists an SBOM and a verdict whose subject is the verified digest', async () => {
    const reference = `${registry.address}/attached:1.0.0`;
    const digest = await images.push(reference, 'attached');
    await signImage(registry.address, 'attached', digest, key);
    const image = (await resolveManifest(registry.address, 'attached', digest))!;
    for (const suffix of ['sbom', 'vuln']) {
      await pushArtifact(registry.address, 'attached', artifactTag(digest, suffix), { artifactType: `application/vnd.test.${suffix}`, layers: [{ mediaType: 'application/json', data: Buffer.from(`{"${suffix}":true}`) }], subject: image });
    }
    const verified = await verifyImage(reference, publicKey);
    expect(verified.attachments.map(({ suffix, reference: tag }) => [suffix, tag])).toEqual([
      ['sbom', `${registry.address}/attached:sha256-${digest.slice(7)}.sbom`],
      ['vuln', `${registry.address}/attached:sha256-${digest.slice(7)}.vuln`],
    ]);
  }, 60_000);

  it("refuses an SBOM copied from another image's tag, or one that names no image", async () => {
    const reference = `${registry.address}/stale-sbom:1.0.0`;
    const oldDigest = await images.push(reference, 'stale sbom, old');
    const oldImage = (await resolveManifest(registry.address, 'stale-sbom', oldDigest))!;
    const digest = await images.push(reference, 'stale sbom, new');
    await signImage(registry.address, 'stale-sbom', digest, key);
    const sbomTag = artifactTag(digest, 'sbom');
    await pushArtifact(registry.address, 'stale-sbom', sbomTag, { artifactType: 'application/vnd.cyclonedx+json', layers: [{ mediaType: 'application/vnd.cyclonedx+json', data: Buffer.from('{}') }], subject: oldImage });
    expect(await refusal(verifyImage(reference, publicKey))).toBe(
      `${registry.address}/stale-sbom:${sbomTag} is about ${oldDigest}, not ${digest}: it does not describe this image; attach the sbom made from ${digest} again.`,
    );
    await pushArtifact(registry.address, 'stale-sbom', sbomTag, { artifactType: 'application/vnd.cyclonedx+json', layers: [{ mediaType: 'application/vnd.cyclonedx+json', data: Buffer.from('{}') }] });
    expect(await refusal(verifyImage(reference, publicKey))).toContain('is about no image (its manifest has no subject)');
    // Whoever only wants the signature can skip the check.
    expect((await verifyImage(reference, publicKey, { attachments: [] })).digest).toBe(digest);
  }, 60_000);

  it('names what is wrong with the reference itself', async () => {
    expect(await refusal(verifyImage(`${registry.address}/nothing-here:1.0.0`, publicKey))).toBe(
      `${registry.address}/nothing-here:1.0.0: no such image in ${registry.address}; check the name and tag, or push it first.`,
    );
    expect(await refusal(verifyImage('openclaw-base:1.0.0', publicKey))).toBe('openclaw-base:1.0.0: names no registry; use REGISTRY/NAME:TAG or REGISTRY/NAME@sha256:....');
    expect(await refusal(signImage(registry.address, 'nothing-here', `sha256:${'0'.repeat(64)}`, key))).toBe(
      `${registry.address}/nothing-here@sha256:${'0'.repeat(64)}: no such image in the registry; push it before signing it.`,
    );
  });
});

describe('pushing artifacts to registries that want a login', () => {
  let tokenRegistry: TokenRegistry;
  let authRegistry: AuthRegistry;

  beforeAll(async () => {
    tokenRegistry = await startTokenRegistry({ registryPort: TOKEN_REGISTRY_PORT, tokenPort: TOKEN_SERVICE_PORT, publicRepositories: ['public-app'] });
    authRegistry = await startAuthRegistry(AUTH_REGISTRY_PORT);
  }, 120_000);

  afterAll(async () => {
    await tokenRegistry?.stop();
    await authRegistry?.stop();
  });

  const artifact = { artifactType: 'application/vnd.test', layers: [{ mediaType: 'application/json', data: Buffer.from('{"login":true}') }] };

  it('token auth: a push token (scope pull,push) from the login; anonymous may read a public repository but not write it', async () => {
    process.env.DOCKER_CONFIG = tokenRegistry.dockerConfig({ user: tokenRegistry.user, password: tokenRegistry.password });
    const pushed = await pushArtifact(tokenRegistry.address, 'public-app', 'signed-thing', artifact);
    expect(tokenRegistry.tokenRequests.some((request) => request.grant === 'basic' && request.status === 200 && request.scopes.includes('repository:public-app:pull,push'))).toBe(true);

    // Anonymous: reads; the blobs are there already (nothing is uploaded again), and the manifest is refused.
    process.env.DOCKER_CONFIG = tokenRegistry.dockerConfig();
    expect((await readArtifact(tokenRegistry.address, 'public-app', 'signed-thing'))!.descriptor.digest).toBe(pushed.digest);
    expect(await refusal(pushArtifact(tokenRegistry.address, 'public-app', 'other-thing', artifact))).toMatch(
      new RegExp(`^${tokenRegistry.address} refused anonymous access \\(no credentials for ${tokenRegistry.address} in .*config\\.json\\) to push ${tokenRegistry.address}/public-app:other-thing \\(HTTP 401, UNAUTHORIZED: .*\\): run \`docker login ${tokenRegistry.address}\` \\(or set DOCKER_CONFIG\\) with an account that may push\\.$`),
    );
  }, 60_000);

  it('Basic auth: the upload and the manifest are sent again with the login after the challenge; a wrong password is one line', async () => {
    process.env.DOCKER_CONFIG = authRegistry.dockerConfig(authRegistry.user, authRegistry.password);
    const pushed = await pushArtifact(authRegistry.address, 'app', 'thing', artifact);
    expect((await readArtifact(authRegistry.address, 'app', 'thing'))!.descriptor).toEqual(pushed);

    process.env.DOCKER_CONFIG = authRegistry.dockerConfig(authRegistry.user, 'wrong');
    expect(await refusal(pushArtifact(authRegistry.address, 'app', 'other', artifact))).toMatch(
      new RegExp(`^${authRegistry.address} refused the credentials for user "${authRegistry.user}" in .*config\\.json to show blob sha256:[0-9a-f]{64} of ${authRegistry.address}/app \\(HTTP 401.*\\): run \`docker login ${authRegistry.address}\``),
    );
  }, 60_000);
});
