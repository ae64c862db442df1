import { parseImageReference } from '@taskforge/image-model';
import { UserError } from '@taskforge/user-errors';
import { registryCredentials } from './docker-config';
import { registryBaseUrl } from './registry-address';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/**
 * Whether the registry holds `registry/repository:tag`, asked with one HEAD
 * (basic auth from the user's docker config; a token challenge or an
 * unreachable registry answer "no", and the push that follows says why).
 */
export async function registryHasTag(reference: string): Promise<boolean> {
  return registryTagDigest(reference).then(
    (digest) => digest !== undefined,
    () => false,
  );
}

function headersFor(registry: string): Record<string, string> {
  const credentials = registryCredentials(registry);
  const headers: Record<string, string> = { Accept: MANIFEST_TYPES };
  if (credentials) headers.Authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  return headers;
}

/**
 * The manifest digest `registry/repository:tag` points to, or undefined when
 * the registry has no such tag. Unlike registryHasTag, a registry that cannot
 * answer is an error: callers decide whether publishing may overwrite.
 */
export async function registryTagDigest(reference: string): Promise<string | undefined> {
  const { registry, repository, tag } = parseImageReference(reference);
  if (!registry) throw new UserError(`${reference}: names no registry; use REGISTRY/NAME:TAG.`);
  let response: Response;
  try {
    response = await fetch(`${registryBaseUrl(registry)}/v2/${repository}/manifests/${tag ?? 'latest'}`, { method: 'HEAD', headers: headersFor(registry), signal: AbortSignal.timeout(10000) });
  } catch (error) {
    const reason = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
    throw new UserError(`registry ${registry} is not reachable (${reason}) while checking ${reference}: start it (\`npm run engine:up\` for localhost:5000) or set IMAGE_REGISTRY.`);
  }
  if (response.status === 404) return undefined;
  if (response.status === 401 || response.status === 403) {
    throw new UserError(`${registry} refused to show ${reference} (HTTP ${response.status}): run \`docker login ${registry}\` (or set DOCKER_CONFIG) with an account that may pull.`);
  }
  if (response.status !== 200) throw new UserError(`${registry} answered HTTP ${response.status} for ${reference}; check the registry's log.`);
  return response.headers.get('docker-content-digest') ?? undefined;
}
