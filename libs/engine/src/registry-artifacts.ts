import { createHash } from 'node:crypto';
import { UserError } from '@taskforge/user-errors';
import { describeCredentials } from './docker-config';
import { registryRequest } from './registry-request';

export const OCI_IMAGE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** The config of an artifact that has none (OCI image spec 1.1): the two bytes `{}`. */
export const OCI_EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';

/** Every manifest kind a tag may point to; the registry answers with the one it stored. */
const MANIFEST_TYPES = [
  OCI_IMAGE_MANIFEST,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

/** What registries accept as one manifest (distribution's limit), and what a reader takes before calling it garbage. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;
const TRANSFER_TIMEOUT_MS = 120_000;

/** An OCI content descriptor: what a manifest says of a blob or of another manifest. */
export interface ContentDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The fields of an OCI image manifest (and of a Docker v2 manifest, which has the same shape) that artifacts use. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: ContentDescriptor;
  layers: ContentDescriptor[];
  subject?: ContentDescriptor;
  annotations?: Record<string, string>;
}

export interface StoredManifest {
  /** Media type, digest (of the bytes as stored) and size: what another manifest's `subject` names it by. */
  descriptor: ContentDescriptor;
  /** Parsed; an index or a manifest of any kind the registry holds. */
  manifest: ImageManifest & Record<string, unknown>;
  bytes: Buffer;
}

export interface ArtifactLayer {
  mediaType: string;
  data: Buffer;
  annotations?: Record<string, string>;
}

export interface ArtifactContent {
  /** What the artifact is (OCI 1.1 `artifactType`), e.g. `application/vnd.cyclonedx+json`; omitted from the manifest when undefined. */
  artifactType?: string;
  /** The config blob; the empty config `{}` when omitted. */
  config?: { mediaType: string; data: Buffer };
  layers: ArtifactLayer[];
  annotations?: Record<string, string>;
  /** The manifest the artifact is about (a registry with the referrers API lists it there). */
  subject?: ContentDescriptor;
}

export interface StoredArtifact extends StoredManifest {
  /** Each layer's descriptor with its blob, in manifest order. */
  layers: { descriptor: ContentDescriptor; data: Buffer }[];
}

/** `sha256:<hex>` of some bytes. */
export function contentDigest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * The tag cosign's scheme gives an artifact about `digest` (for registries without the referrers API):
 * `sha256-<hex>.sig` for signatures, `.sbom`, `.att`, ... for the rest.
 */
export function artifactTag(digest: string, suffix: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new UserError(`${digest}: not a sha256 manifest digest (sha256:<64 hex digits>).`);
  return `${digest.replace(':', '-')}.${suffix}`;
}

/**
 * Where `repository` lives: `registry` may carry a namespace (IMAGE_REGISTRY=`host:port/team`), which belongs to the
 * repository path; the host is what credentials and the API address are looked up by.
 */
function locate(registry: string, repository: string): { host: string; path: string; name: string } {
  const [host, ...namespace] = registry.replace(/\/+$/, '').split('/');
  const path = [...namespace, repository].join('/');
  return { host, path, name: `${host}/${path}` };
}

function isDigest(reference: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(reference);
}

/** The registry's own words for a refusal: distribution's `{"errors":[{"code","message"}]}` body, or the status. */
async function registryMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
    const said = errors.map((error) => [error.code, error.message].filter(Boolean).join(': ')).filter(Boolean);
    if (said.length > 0) return `HTTP ${response.status}, ${said.join('; ')}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return `HTTP ${response.status}`;
}

/** A refused or failed request as one line: credentials for 401/403, the registry's log otherwise. */
async function failure(host: string, response: Response, what: string, action: 'pull' | 'push'): Promise<UserError> {
  const said = await registryMessage(response);
  if (response.status === 401 || response.status === 403) {
    return new UserError(`${host} refused ${describeCredentials(host)} ${what} (${said}): run \`docker login ${host}\` (or set DOCKER_CONFIG) with an account that may ${action}.`);
  }
  return new UserError(`${host} answered ${said} ${what}; check the registry's log.`);
}

/** Reads at most `limit` bytes of an answer; more is an error naming what was read. */
async function readLimited(response: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) {
    await response.body?.cancel();
    throw new UserError(`${what} is ${declared} bytes, more than the ${limit} this reader takes; check what was pushed there.`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += (chunk as Uint8Array).length;
    if (total > limit) throw new UserError(`${what} is more than the ${limit} bytes this reader takes; check what was pushed there.`);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/**
 * The manifest `reference` (a tag or a digest) names in `registry/repository`, or undefined when there is none.
 * The digest is computed from the bytes received, not taken from the registry's header, and a manifest asked for
 * by digest must hash to it: what callers verify is exactly what a client pulling it gets.
 */
export async function readManifest(registry: string, repository: string, reference: string): Promise<StoredManifest | undefined> {
  const { host, path, name } = locate(registry, repository);
  const shown = `${name}${isDigest(reference) ? '@' : ':'}${reference}`;
  const response = await registryRequest(host, {
    method: 'GET',
    path: `/v2/${path}/manifests/${reference}`,
    scope: `repository:${path}:pull`,
    headers: { Accept: MANIFEST_TYPES.join(', ') },
    purpose: `reading ${shown}`,
  });
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.status !== 200) throw await failure(host, response, `to show ${shown}`, 'pull');
  const bytes = await readLimited(response, MAX_MANIFEST_BYTES, `the manifest of ${shown}`);
  const digest = contentDigest(bytes);
  if (isDigest(reference) && digest !== reference) throw new UserError(`${host} answered ${shown} with a manifest whose digest is ${digest}; the registry's storage is damaged or it is not the registry you meant.`);
  let manifest: StoredManifest['manifest'];
  try {
    manifest = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new UserError(`the manifest of ${shown} is not JSON (${(error as Error).message}); check what was pushed there.`);
  }
  const mediaType = manifest.mediaType ?? response.headers.get('content-type')?.split(';')[0].trim() ?? OCI_IMAGE_MANIFEST;
  return { descriptor: { mediaType, digest, size: bytes.length }, manifest, bytes };
}

/** The descriptor (media type, digest, size) of the manifest a tag or digest names, or undefined when there is none. */
export async function resolveManifest(registry: string, repository: string, reference: string): Promise<ContentDescriptor | undefined> {
  return (await readManifest(registry, repository, reference))?.descriptor;
}

/** Whether the repository holds the blob (a HEAD; distribution answers for blobs of any repository it can mount). */
export async function hasBlob(registry: string, repository: string, digest: string): Promise<boolean> {
  const { host, path, name } = locate(registry, repository);
  const response = await registryRequest(host, {
    method: 'HEAD',
    path: `/v2/${path}/blobs/${digest}`,
    scope: `repository:${path}:pull`,
    purpose: `checking blob ${digest} of ${name}`,
  });
  if (response.status === 200) return true;
  if (response.status === 404) return false;
  // Distribution's filesystem storage answers 500 for a blob another client is linking at that moment (concurrent
  // pushes of one SBOM config, say): not known yet, so upload it; an upload of identical bytes is harmless.
  if (response.status >= 500) {
    await response.body?.cancel();
    return false;
  }
  throw await failure(host, response, `to show blob ${digest} of ${name}`, 'pull');
}

/** A blob's bytes, checked against its digest; a missing blob is an error (the manifest that names it is broken). */
export async function readBlob(registry: string, repository: string, digest: string, maxBytes = DEFAULT_MAX_BLOB_BYTES): Promise<Buffer> {
  const { host, path, name } = locate(registry, repository);
  const response = await registryRequest(host, {
    method: 'GET',
    path: `/v2/${path}/blobs/${digest}`,
    scope: `repository:${path}:pull`,
    timeoutMs: TRANSFER_TIMEOUT_MS,
    purpose: `reading blob ${digest} of ${name}`,
  });
  if (response.status === 404) {
    await response.body?.cancel();
    throw new UserError(`${name} has no blob ${digest}, which one of its manifests names; push that manifest again.`);
  }
  if (response.status !== 200) throw await failure(host, response, `to read blob ${digest} of ${name}`, 'pull');
  const data = await readLimited(response, maxBytes, `blob ${digest} of ${name}`);
  if (contentDigest(data) !== digest) throw new UserError(`${host} answered blob ${digest} of ${name} with other content (${contentDigest(data)}); the registry's storage is damaged.`);
  return data;
}

/**
 * Uploads a blob in one piece (POST for an upload session, PUT of the whole body with its digest), unless the
 * repository has it already. Returns its digest and size.
 */
export async function uploadBlob(registry: string, repository: string, data: Buffer, attempt = 1): Promise<{ digest: string; size: number }> {
  const { host, path, name } = locate(registry, repository);
  const digest = contentDigest(data);
  if (await hasBlob(registry, repository, digest)) return { digest, size: data.length };
  const scope = `repository:${path}:pull,push`;
  const started = await registryRequest(host, {
    method: 'POST',
    path: `/v2/${path}/blobs/uploads/`,
    scope,
    purpose: `uploading blob ${digest} to ${name}`,
  });
  if (started.status !== 202) throw await failure(host, started, `to upload to ${name}`, 'push');
  await started.body?.cancel();
  const location = started.headers.get('location');
  if (!location) throw new UserError(`${host} started an upload to ${name} without saying where to send it (no Location header); check the registry's log.`);
  const target = new URL(location, `http://${host}`);
  target.searchParams.set('digest', digest);
  // A relative Location is resolved against the registry's own address by registryRequest.
  const finish = await registryRequest(host, {
    method: 'PUT',
    path: /^https?:\/\//.test(location) ? target.toString() : `${target.pathname}${target.search}`,
    scope,
    headers: { 'Content-Type': 'application/octet-stream' },
    body: data,
    timeoutMs: TRANSFER_TIMEOUT_MS,
    purpose: `uploading blob ${digest} to ${name}`,
  });
  if (finish.status >= 500 && attempt < 3) {
    // The same concurrent-link race as in hasBlob: the next attempt finds the blob or uploads it again.
    await finish.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    return uploadBlob(registry, repository, data, attempt + 1);
  }
  if (finish.status !== 201) throw await failure(host, finish, `to the upload of blob ${digest} to ${name}`, 'push');
  await finish.body?.cancel();
  return { digest, size: data.length };
}

/** Stores a manifest's exact bytes under `tag`; returns its descriptor. Every blob it names must be in the repository. */
export async function putManifest(registry: string, repository: string, tag: string, bytes: Buffer, mediaType: string): Promise<ContentDescriptor> {
  const { host, path, name } = locate(registry, repository);
  const response = await registryRequest(host, {
    method: 'PUT',
    path: `/v2/${path}/manifests/${tag}`,
    scope: `repository:${path}:pull,push`,
    headers: { 'Content-Type': mediaType },
    body: bytes,
    purpose: `pushing ${name}:${tag}`,
  });
  if (response.status !== 201) throw await failure(host, response, `to push ${name}:${tag}`, 'push');
  await response.body?.cancel();
  const digest = contentDigest(bytes);
  const stored = response.headers.get('docker-content-digest');
  if (stored && stored !== digest) throw new UserError(`${host} stored ${name}:${tag} as ${stored}, not as the ${digest} that was sent; the registry rewrote the manifest, so nothing can refer to it by digest.`);
  return { mediaType, digest, size: bytes.length };
}

/**
 * Pushes an OCI artifact: its blobs (those the repository lacks), then an OCI image manifest naming them, tagged
 * `tag`. Returns the manifest's descriptor.
 */
export async function pushArtifact(registry: string, repository: string, tag: string, content: ArtifactContent): Promise<ContentDescriptor> {
  const config = content.config ?? { mediaType: OCI_EMPTY_CONFIG, data: Buffer.from('{}') };
  const configBlob = await uploadBlob(registry, repository, config.data);
  const layers: ContentDescriptor[] = [];
  for (const layer of content.layers) {
    const blob = await uploadBlob(registry, repository, layer.data);
    layers.push({ mediaType: layer.mediaType, ...blob, ...(layer.annotations ? { annotations: layer.annotations } : {}) });
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_IMAGE_MANIFEST,
    ...(content.artifactType ? { artifactType: content.artifactType } : {}),
    config: { mediaType: config.mediaType, ...configBlob },
    layers,
    ...(content.subject ? { subject: { mediaType: content.subject.mediaType, digest: content.subject.digest, size: content.subject.size } } : {}),
    ...(content.annotations ? { annotations: content.annotations } : {}),
  };
  return putManifest(registry, repository, tag, Buffer.from(JSON.stringify(manifest)), OCI_IMAGE_MANIFEST);
}

/**
 * The artifact `reference` (a tag or a digest) names, with every layer's blob, or undefined when there is none.
 * Only image manifests have layers: an index there is an error naming what was found.
 */
export async function readArtifact(registry: string, repository: string, reference: string, options: { maxLayerBytes?: number } = {}): Promise<StoredArtifact | undefined> {
  const stored = await readManifest(registry, repository, reference);
  if (!stored) return undefined;
  if (!Array.isArray(stored.manifest.layers)) {
    const { name } = locate(registry, repository);
    throw new UserError(`${name}:${reference} is a ${stored.descriptor.mediaType}, not an artifact (an image manifest with layers); check what was pushed there.`);
  }
  const layers = [];
  for (const descriptor of stored.manifest.layers) {
    layers.push({ descriptor, data: await readBlob(registry, repository, descriptor.digest, options.maxLayerBytes) });
  }
  return { ...stored, layers };
}

/**
 * Every tag of the repository (following the registry's `Link` pages), or an empty list when the repository does
 * not exist.
 */
export async function listTags(registry: string, repository: string): Promise<string[]> {
  const { host, path, name } = locate(registry, repository);
  const tags: string[] = [];
  let next: string | undefined = `/v2/${path}/tags/list?n=1000`;
  while (next) {
    const response = await registryRequest(host, { method: 'GET', path: next, scope: `repository:${path}:pull`, purpose: `listing the tags of ${name}` });
    if (response.status === 404) {
      await response.body?.cancel();
      return tags;
    }
    if (response.status !== 200) throw await failure(host, response, `to list the tags of ${name}`, 'pull');
    const body = (await response.json().catch(() => ({}))) as { tags?: string[] | null };
    tags.push(...(body.tags ?? []));
    next = /<([^>]+)>;\s*rel="?next"?/.exec(response.headers.get('link') ?? '')?.[1];
  }
  return tags;
}
