import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fieldError, parseJsonText, UserError, valueAt } from '@taskforge/user-errors';
import { CANONICAL_PIP_NAME, DEBIAN_NAME, DEBIAN_VERSION, PIP_VERSION, SHA256_HEX } from './capability';

// The approved catalogue, config/capabilities.json: the only source of what a task image may contain. Its shape:
//
//   { "capabilities": [
//       { "kind": "pip_package", "name": "pandas",
//         "versions": { "2.0.0": { "sha256": ["<wheel hash>", ...], "requires": ["pip_package:numpy==1.24.3", ...] } } },
//       { "kind": "apt_package", "name": "jq", "versions": ["1.6-2.1"] },
//       { "kind": "apt_package", "name": "ripgrep", "versions": "any-from-debian" } ] }
//
// Why this shape:
// - One entry per (kind, name), so a review sees everything approved about a package in one place.
// - Python versions are object keys: each approved version carries its own wheel hashes (pip installs with
//   --require-hashes, so an index serving other bytes fails the build) and its own dependencies. Several hashes per
//   version because a release has one wheel per platform; any listed one is accepted.
// - Dependencies are exact pins of other catalogue entries (`requires`), not ranges: pip runs with --no-deps, so the
//   installed set is exactly the closure the catalogue names, every member reviewed and hashed. A requirement the
//   catalogue lacks, or a cycle, is a catalogue error found when the file is read.
// - Debian packages come from the base's suite through apt, which checks signatures itself, so there is no hash; an
//   entry lists the exact versions allowed, or says "any-from-debian" explicitly to approve whatever the suite
//   ships (then a request may name no version). There is no wildcard or default: omission never widens approval.
// - Names are spelled canonically (PEP 503 for Python) so a request matches by exact string after normalization.
//
// The file is read at request time (it is small), so an approved change applies without a restart.

/** Where the catalogue lives in the repo; changing it (in a reviewed change) is how a capability gets approved. */
export const CATALOGUE_FILE = 'config/capabilities.json';

/** What the catalogue's JSON Schema is called, next to this lib. */
export const CATALOGUE_SCHEMA_FILE = 'libs/task-images/capabilities.schema.json';

/** The `versions` value that approves every version Debian ships of an apt package. */
export const ANY_DEBIAN_VERSION = 'any-from-debian';

/** A requirement as the catalogue writes it: `pip_package:<canonical name>==<version>`. */
export const PIP_PIN = new RegExp(`^pip_package:${CANONICAL_PIP_NAME.source.slice(1, -1)}==${PIP_VERSION.source.slice(1, -1)}$`);

const pipVersionEntry = z
  .object({
    sha256: z
      .array(z.string().regex(SHA256_HEX, '64 lowercase hex digits: the SHA-256 of a wheel file'))
      .min(1)
      .describe('SHA-256 of every wheel of this version pip may install (one per platform); pip checks them with --require-hashes'),
    requires: z
      .array(z.string().regex(PIP_PIN, 'a pin of another catalogue entry such as "pip_package:numpy==1.24.3"'))
      .default([])
      .describe('exact pins of the Python packages this version needs (pip runs with --no-deps); each must be a catalogue entry itself'),
  })
  .strict();

const pipEntry = z
  .object({
    kind: z.literal('pip_package').describe('a Python package installed by pip from the package index, checked by hash'),
    name: z.string().regex(CANONICAL_PIP_NAME, 'a PEP 503 normalized project name such as "python-dateutil" (lowercase, single hyphens)').describe('the PyPI project name'),
    versions: z
      .record(z.string().regex(PIP_VERSION, 'a PEP 440 version such as "2.0.0"'), pipVersionEntry)
      .describe('each approved version (an exact PEP 440 version) with its wheel hashes and requirements; at least one'),
    reason: z.string().min(1).describe('why it is approved, for reviewers').optional(),
  })
  .strict();

const aptEntry = z
  .object({
    kind: z.literal('apt_package').describe("a Debian package installed with apt from the base image's suite"),
    name: z.string().regex(DEBIAN_NAME, 'a Debian package name such as "ripgrep"').describe('the Debian binary package name'),
    versions: z
      .union([z.literal(ANY_DEBIAN_VERSION), z.array(z.string().regex(DEBIAN_VERSION, 'a Debian version such as "1.6-2.1" (no "/")')).min(1, `at least one Debian version, or "${ANY_DEBIAN_VERSION}"`)], {
        error: `"${ANY_DEBIAN_VERSION}" or a non-empty list of Debian versions`,
      })
      .describe(`the exact Debian versions approved, or "${ANY_DEBIAN_VERSION}" to approve whatever the suite ships (then a request may omit the version)`),
    reason: z.string().min(1).describe('why it is approved, for reviewers').optional(),
  })
  .strict();

export const capabilityCatalogueSchema = z
  .object({
    $schema: z.string().describe('path of this JSON Schema, for editors').optional(),
    $comment: z.string().describe('notes for readers; ignored').optional(),
    capabilities: z
      .array(z.discriminatedUnion('kind', [pipEntry, aptEntry]))
      .describe('every approved package, one entry per kind and name; anything not here is refused'),
  })
  .strict();

export type Catalogue = z.infer<typeof capabilityCatalogueSchema>;
export type CatalogueEntry = Catalogue['capabilities'][number];
export type PipCatalogueEntry = Extract<CatalogueEntry, { kind: 'pip_package' }>;
export type AptCatalogueEntry = Extract<CatalogueEntry, { kind: 'apt_package' }>;

const SEE_SCHEMA = `see ${CATALOGUE_SCHEMA_FILE}`;

/** The checks between entries that a schema cannot say: one entry per package, no repeats, requirements that resolve, no cycles. */
function checkEntries(catalogue: Catalogue, file: string): void {
  const entries = catalogue.capabilities;
  const where = new Map<string, number>();
  entries.forEach((entry, index) => {
    const id = `${entry.kind}:${entry.name}`;
    const first = where.get(id);
    if (first !== undefined) {
      throw fieldError(file, ['capabilities', index, 'name'], entry.name, `${id} is already catalogued at capabilities[${first}]`, 'merge the two entries into one');
    }
    where.set(id, index);
    if (entry.kind === 'apt_package') {
      if (Array.isArray(entry.versions)) {
        entry.versions.forEach((version, position) => {
          if (entry.versions.indexOf(version) !== position) throw fieldError(file, ['capabilities', index, 'versions', position], version, 'the version is listed twice', 'list it once');
        });
      }
      return;
    }
    if (Object.keys(entry.versions).length === 0) throw fieldError(file, ['capabilities', index, 'versions'], entry.versions, 'no version is approved', 'add a version with its wheel hashes, or remove the entry');
    for (const [version, approved] of Object.entries(entry.versions)) {
      approved.sha256.forEach((hash, position) => {
        if (approved.sha256.indexOf(hash) !== position) throw fieldError(file, ['capabilities', index, 'versions', version, 'sha256', position], hash, 'the hash is listed twice', 'list it once');
      });
      const required = new Map<string, number>();
      approved.requires.forEach((pin, position) => {
        const name = pin.slice('pip_package:'.length, pin.indexOf('=='));
        if (required.has(name)) {
          throw fieldError(file, ['capabilities', index, 'versions', version, 'requires', position], pin, `pip_package:${name} is already required at requires[${required.get(name)}]`, 'require each package once, at one version');
        }
        required.set(name, position);
      });
    }
  });

  const pipVersions = new Map<string, PipCatalogueEntry['versions'][string]>();
  const pipWhere = new Map<string, [number, string]>();
  entries.forEach((entry, index) => {
    if (entry.kind !== 'pip_package') return;
    for (const [version, approved] of Object.entries(entry.versions)) {
      pipVersions.set(`pip_package:${entry.name}==${version}`, approved);
      pipWhere.set(`pip_package:${entry.name}==${version}`, [index, version]);
    }
  });
  for (const [pin, approved] of pipVersions) {
    const [index, version] = pipWhere.get(pin)!;
    approved.requires.forEach((required, position) => {
      if (!pipVersions.has(required)) {
        throw fieldError(
          file,
          ['capabilities', index, 'versions', version, 'requires', position],
          required,
          `${pin} requires a package version the catalogue does not approve`,
          'add that version (with its wheel hashes) to the catalogue, or fix the pin',
        );
      }
    });
  }

  // Depth-first over pins; a pin met again while still on the path closes a cycle.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (pin: string, trail: string[]): void => {
    if (state.get(pin) === 'done') return;
    state.set(pin, 'visiting');
    const approved = pipVersions.get(pin)!;
    approved.requires.forEach((required, position) => {
      if (state.get(required) === 'visiting') {
        const [index, version] = pipWhere.get(pin)!;
        const path = [...trail, pin];
        const cycle = [...path.slice(path.indexOf(required)), required].join(' -> ');
        throw fieldError(file, ['capabilities', index, 'versions', version, 'requires', position], required, `the requirements form a cycle: ${cycle}`, 'break the cycle');
      }
      visit(required, [...trail, pin]);
    });
    state.set(pin, 'done');
  };
  for (const pin of pipVersions.keys()) visit(pin, []);
}

/** Validates already-parsed JSON; `file` names the source in the one-line error. */
export function parseCatalogue(data: unknown, file: string): Catalogue {
  const result = capabilityCatalogueSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
    throw fieldError(file, issue.path, valueAt(data, issue.path), `${issue.message}${more}`, SEE_SCHEMA);
  }
  checkEntries(result.data, file);
  return result.data;
}

/** Validates the catalogue's text; `displayPath` names the file in the error. */
export function parseCatalogueText(text: string, displayPath: string): Catalogue {
  return parseCatalogue(parseJsonText(text, displayPath), displayPath);
}

/** Reads and validates the catalogue at `file` (call it per request: the file is small and may change). */
export function readCatalogue(file: string, displayPath = file): Catalogue {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`${displayPath}: cannot read the capability catalogue (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); create it (see ${CATALOGUE_SCHEMA_FILE}).`);
  }
  return parseCatalogueText(text, displayPath);
}

export function catalogueJsonSchema(): unknown {
  return z.toJSONSchema(capabilityCatalogueSchema, { io: 'input' });
}
