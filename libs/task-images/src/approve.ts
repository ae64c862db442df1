import { type CapabilityRequest } from './capability';
import { ANY_DEBIAN_VERSION, CATALOGUE_FILE, type AptCatalogueEntry, type Catalogue, type PipCatalogueEntry } from './catalogue';
import { quoteValue, RequestRefused } from './request-refused';

/** A Python package of a task image: a catalogue entry's name and version with all its wheel hashes. */
export interface ApprovedPipPackage {
  readonly kind: 'pip_package';
  /** PEP 503 normalized name, from the catalogue. */
  readonly name: string;
  /** The exact version, from the catalogue. */
  readonly version: string;
  /** Every approved wheel hash of that version, sorted. */
  readonly sha256: readonly string[];
}

/** A Debian package of a task image. */
export interface ApprovedAptPackage {
  readonly kind: 'apt_package';
  /** Debian package name, from the catalogue. */
  readonly name: string;
  /** The exact version; absent when the catalogue approves any version and the request named none (the suite's current one). */
  readonly version?: string;
}

/** What a task image gets: everything comes from catalogue entries, nothing from the request's bytes. */
export interface ApprovedSet {
  /** Requested Debian packages, sorted by name. */
  readonly aptPackages: readonly ApprovedAptPackage[];
  /** Requested Python packages and everything they require (the closure through `requires`), sorted by name. */
  readonly pipPackages: readonly ApprovedPipPackage[];
  /** Label values for the image: `capabilities` is `kind:name` of each requested package, comma-joined, in request order. */
  readonly labels: { readonly capabilities: string };
}

const HOW_TO_APPROVE = `a capability is approved by a reviewed change to ${CATALOGUE_FILE}`;

function listed(values: readonly string[]): string {
  return values.length > 5 ? `${values.slice(0, 5).join(', ')} and ${values.length - 5} more` : values.join(', ');
}

function notApproved(index: number, request: CapabilityRequest, detail: string): RequestRefused {
  return new RequestRefused(403, `capabilities[${index}]: ${quoteValue(request.text)} is not approved${detail}; ${HOW_TO_APPROVE}.`);
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Checks parsed requests against the catalogue and returns what to install: RequestRefused 403 for a package the
 * catalogue lacks, a version it does not approve, an apt request without a version for an entry that lists versions,
 * or two packages that need different versions of a third.
 */
export function approveCapabilities(catalogue: Catalogue, requests: readonly CapabilityRequest[]): ApprovedSet {
  const pipEntries = new Map<string, PipCatalogueEntry>();
  const aptEntries = new Map<string, AptCatalogueEntry>();
  for (const entry of catalogue.capabilities) {
    if (entry.kind === 'pip_package') pipEntries.set(entry.name, entry);
    else aptEntries.set(entry.name, entry);
  }

  // name -> the version chosen, which request led to it and why (for messages).
  const pip = new Map<string, { version: string; index: number; why: string }>();
  const apt = new Map<string, ApprovedAptPackage>();
  const labels: string[] = [];
  const pending: Array<{ name: string; version: string; index: number }> = [];

  requests.forEach((request, index) => {
    if (request.kind === 'pip_package') {
      const entry = pipEntries.get(request.name);
      if (!entry) throw notApproved(index, request, ` (${CATALOGUE_FILE} has no pip_package:${request.name})`);
      const version = request.version ?? '';
      if (!Object.hasOwn(entry.versions, version)) throw notApproved(index, request, ` (approved versions of pip_package:${entry.name}: ${listed(Object.keys(entry.versions))})`);
      const chosen = pip.get(entry.name);
      if (chosen && chosen.version !== version) {
        throw notApproved(index, request, ` together with capabilities[${chosen.index}] (pip_package:${entry.name}==${chosen.version})`);
      }
      pip.set(entry.name, { version, index, why: `capabilities[${index}] asks for it` });
      pending.push({ name: entry.name, version, index });
      labels.push(`pip_package:${entry.name}`);
      return;
    }
    const entry = aptEntries.get(request.name);
    if (!entry) throw notApproved(index, request, ` (${CATALOGUE_FILE} has no apt_package:${request.name})`);
    if (entry.versions !== ANY_DEBIAN_VERSION) {
      if (request.version === undefined) throw notApproved(index, request, ` without a version (name one of: ${listed(entry.versions)})`);
      if (!entry.versions.includes(request.version)) throw notApproved(index, request, ` (approved versions of apt_package:${entry.name}: ${listed(entry.versions)})`);
    }
    const chosen = apt.get(entry.name);
    if (chosen && chosen.version !== request.version) throw notApproved(index, request, ' together with another version of the same package');
    apt.set(entry.name, request.version === undefined ? { kind: 'apt_package', name: entry.name } : { kind: 'apt_package', name: entry.name, version: request.version });
    labels.push(`apt_package:${entry.name}`);
  });

  // The closure through `requires`: every requirement is a catalogue pin (readCatalogue checked they resolve).
  while (pending.length) {
    const { name, version, index } = pending.shift()!;
    for (const pin of pipEntries.get(name)!.versions[version].requires) {
      const [requiredName, requiredVersion] = pin.slice('pip_package:'.length).split('==');
      if (!pipEntries.get(requiredName)?.versions[requiredVersion]) {
        throw new Error(`catalogue requirement ${pin} of pip_package:${name}==${version} is not catalogued: parse catalogues with parseCatalogue`);
      }
      const chosen = pip.get(requiredName);
      if (chosen?.version === requiredVersion) continue;
      if (chosen) {
        throw notApproved(index, requests[index], ` together with pip_package:${requiredName}==${chosen.version} (${chosen.why}; pip_package:${name}==${version} requires ${requiredVersion})`);
      }
      pip.set(requiredName, { version: requiredVersion, index, why: `pip_package:${name}==${version} requires it` });
      pending.push({ name: requiredName, version: requiredVersion, index });
    }
  }

  return {
    aptPackages: [...apt.values()].sort(byName),
    pipPackages: [...pip.entries()]
      .map(([name, { version }]): ApprovedPipPackage => ({ kind: 'pip_package', name, version, sha256: [...pipEntries.get(name)!.versions[version].sha256].sort() }))
      .sort(byName),
    labels: { capabilities: labels.join(',') },
  };
}
