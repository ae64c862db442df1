/** One npm package installed in a node_modules folder (or Debian's /usr/share/nodejs). */
export interface NpmPackage {
  /** With its scope: `@babel/core`. */
  name: string;
  version: string;
  /** `license`, or the legacy `licenses: [{type}]` list. */
  licenses: string[];
  location: string;
}

function licenseValues(manifest: Record<string, unknown>): string[] {
  const values: unknown[] = [];
  const license = manifest.license;
  if (typeof license === 'string') values.push(license);
  else if (license && typeof license === 'object') values.push((license as { type?: unknown }).type);
  if (Array.isArray(manifest.licenses)) values.push(...manifest.licenses.map((entry) => (typeof entry === 'string' ? entry : (entry as { type?: unknown } | null)?.type)));
  // "SEE LICENSE IN <file>" points at a file, it names no licence.
  return [...new Set(values.filter((value): value is string => typeof value === 'string' && value.trim() !== '' && !/^SEE LICENSE IN /i.test(value)).map((value) => value.trim()))];
}

/**
 * A package's name, version and licences from its package.json; undefined for
 * a package.json that is not a package's (no name or version: the
 * `{"type": "module"}` files inside packages) or is not JSON.
 */
export function parseNpmPackage(text: string, location: string): NpmPackage | undefined {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) return undefined;
  const { name, version } = manifest as { name?: unknown; version?: unknown };
  if (typeof name !== 'string' || typeof version !== 'string' || !name || !version) return undefined;
  return { name, version, licenses: licenseValues(manifest as Record<string, unknown>), location };
}
