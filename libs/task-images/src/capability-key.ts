import { createHash } from 'node:crypto';
import { type ApprovedSet } from './approve';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The identity of a task image's content, for caching and reuse: 32 hex digits of the SHA-256 of a canonical JSON of
 * the base image digest (`sha256:...`), every package pin (sorted, Python ones with their sorted wheel hashes) and the
 * builder's version (bump it when rendering changes). Labels and request order are not part of it: two requests for
 * the same packages in another order get the same image. An apt package approved as any version keys by name only,
 * so a cached image keeps the Debian version it was built with.
 */
export function capabilitySetKey(baseDigest: string, set: ApprovedSet, builderVersion: string): string {
  if (typeof baseDigest !== 'string' || !DIGEST.test(baseDigest)) throw new Error(`capabilitySetKey: base digest ${JSON.stringify(baseDigest)} is not sha256:<64 hex digits>`);
  if (typeof builderVersion !== 'string' || !builderVersion) throw new Error('capabilitySetKey: builderVersion must be a non-empty string');
  const canonical = JSON.stringify({
    base: baseDigest,
    apt: [...set.aptPackages].sort(byName).map((pkg) => [pkg.name, pkg.version ?? null]),
    pip: [...set.pipPackages].sort(byName).map((pkg) => [pkg.name, pkg.version, [...pkg.sha256].sort()]),
    builder: builderVersion,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}
