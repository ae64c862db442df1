import { parseImageReference } from '@taskforge/image-model';
import { UserError } from '@taskforge/user-errors';
import { describeCredentials } from './docker-config';
import { registryRequest } from './registry-request';

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/**
 * Whether the registry holds `registry/repository:tag`, asked with a HEAD
 * (with the user's docker login, Basic or a bearer token as the registry asks;
 * a refusal or an unreachable registry answer "no", and the push that follows
 * says why).
 */
export async function registryHasTag(reference: string): Promise<boolean> {
  return registryTagDigest(reference).then(
    (digest) => digest !== undefined,
    () => false,
  );
}

/**
 * The manifest digest `registry/repository:tag` points to, or undefined when
 * the registry has no such tag. Unlike registryHasTag, a registry that cannot
 * answer is an error: callers decide whether publishing may overwrite.
 */
export async function registryTagDigest(reference: string): Promise<string | undefined> {
  const { registry, repository, tag } = parseImageReference(reference);
  if (!registry) throw new UserError(`${reference}: names no registry; use REGISTRY/NAME:TAG.`);
  const response = await registryRequest(registry, {
    method: 'HEAD',
    path: `/v2/${repository}/manifests/${tag ?? 'latest'}`,
    scope: `repository:${repository}:pull`,
    headers: { Accept: MANIFEST_TYPES },
    purpose: `checking ${reference}`,
  });
  if (response.status === 404) return undefined;
  if (response.status === 401 || response.status === 403) {
    throw new UserError(`${registry} refused ${describeCredentials(registry)} to show ${reference} (HTTP ${response.status}): run \`docker login ${registry}\` (or set DOCKER_CONFIG) with an account that may pull.`);
  }
  if (response.status !== 200) throw new UserError(`${registry} answered HTTP ${response.status} for ${reference}; check the registry's log.`);
  return response.headers.get('docker-content-digest') ?? undefined;
}
