/** One installed Python distribution, from its core metadata (`METADATA` or `PKG-INFO`). */
export interface PythonDistribution {
  name: string;
  version: string;
  /** PEP 639 `License-Expression` (an SPDX expression). */
  licenseExpression?: string;
  /** The older free-text `License` field, when it is one short line (some distributions put the whole licence text there). */
  license?: string;
  /** The last part of each `License ::` classifier (`MIT License`). */
  licenseClassifiers: string[];
  /** The .dist-info or .egg-info it was read from. */
  location: string;
}

/** Header fields of an e-mail-style message: repeated fields keep every value, continuation lines are folded in. */
function parseHeaders(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      if (last) last[last.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    last = fields.get(name) ?? [];
    last.push(line.slice(colon + 1).trim());
    fields.set(name, last);
  }
  return fields;
}

const MAX_LICENSE_NAME = 100;

/** A `License` value worth keeping as a licence name: one short line that says something. */
function licenseName(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed || trimmed.includes('\n') || trimmed.length > MAX_LICENSE_NAME || /^unknown$/i.test(trimmed)) return undefined;
  return trimmed;
}

/**
 * A distribution's name, version and licences from its core metadata; undefined
 * when the metadata names no distribution (no `Name` or `Version`).
 */
export function parsePythonMetadata(text: string, location: string): PythonDistribution | undefined {
  const fields = parseHeaders(text);
  const name = fields.get('name')?.[0];
  const version = fields.get('version')?.[0];
  if (!name || !version) return undefined;
  const licenseClassifiers = (fields.get('classifier') ?? [])
    .map((classifier) => classifier.split('::').map((part) => part.trim()))
    .filter((parts) => parts[0] === 'License' && parts.length > 2)
    .map((parts) => parts[parts.length - 1]);
  return {
    name,
    version,
    licenseExpression: fields.get('license-expression')?.[0] || undefined,
    license: licenseName(fields.get('license')?.[0]),
    licenseClassifiers: [...new Set(licenseClassifiers)],
    location,
  };
}

/** PEP 503's normalized name, which is also the name in a `pkg:pypi` package URL. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}
