import { parseImageReference } from '@taskforge/image-model';
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
  const { registry, repository, tag } = parseImageReference(reference);
  if (!registry) return false;
  const credentials = registryCredentials(registry);
  const headers: Record<string, string> = { Accept: MANIFEST_TYPES };
  if (credentials) headers.Authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  try {
    const response = await fetch(`${registryBaseUrl(registry)}/v2/${repository}/manifests/${tag ?? 'latest'}`, { method: 'HEAD', headers, signal: AbortSignal.timeout(5000) });
    return response.status === 200;
  } catch {
    return false;
  }
}
