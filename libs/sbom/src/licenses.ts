import { Contrib, Models, SPDX } from '@cyclonedx/cyclonedx-library';
import parseSpdxExpression from 'spdx-expression-parse';

const factory = new Contrib.License.Factories.LicenseFactory((expression) => {
  parseSpdxExpression(expression);
});

/** An SPDX id for a name that is one up to case (`BSD-3-clause`), or one once a `.0` is added (`Apache-2`, `PSF-2`). */
function spdxIdOf(name: string): string | undefined {
  return SPDX.fixupSpdxId(name) ?? (/\d$/.test(name) ? SPDX.fixupSpdxId(`${name}.0`) : undefined);
}

/**
 * The SPDX id of a DEP-5 short name: the GNU licences with their version and `+` ("or later"), `Expat` (MIT), and
 * names that are SPDX ids up to case; undefined for the rest (`public-domain`, `GPL-2+ with OpenSSL exception`).
 */
export function debianLicenseId(shortName: string): string | undefined {
  const gnu = /^(GPL|LGPL|AGPL|GFDL)-(\d+)(?:\.(\d+))?(\+)?$/i.exec(shortName);
  if (gnu) return SPDX.fixupSpdxId(`${gnu[1]}-${gnu[2]}.${gnu[3] ?? '0'}-${gnu[4] ? 'or-later' : 'only'}`);
  if (/^expat$/i.test(shortName)) return 'MIT';
  return spdxIdOf(shortName);
}

/** The licences of a DEP-5 copyright file, each an SPDX id where one fits and a named licence otherwise, without repeats. */
export function debianLicenses(shortNames: string[]): Models.DisjunctiveLicense[] {
  const licenses = new Map<string, Models.DisjunctiveLicense>();
  for (const name of shortNames) {
    const id = debianLicenseId(name);
    const key = id ?? name.toLowerCase();
    if (!licenses.has(key)) licenses.set(key, id ? new Models.SpdxLicense(id) : new Models.NamedLicense(name));
  }
  return [...licenses.values()];
}

// Trove classifiers whose licence is one SPDX id; the others stay named (`BSD License` says no clause count).
const CLASSIFIER_IDS: Record<string, string> = {
  'MIT License': 'MIT',
  'MIT No Attribution License (MIT-0)': 'MIT-0',
  'ISC License (ISCL)': 'ISC',
  'Python Software Foundation License': 'PSF-2.0',
  'Mozilla Public License 2.0 (MPL 2.0)': 'MPL-2.0',
  'CC0 1.0 Universal (CC0 1.0) Public Domain Dedication': 'CC0-1.0',
  'Apache Software License 2.0': 'Apache-2.0',
};

function classifierLicense(classifier: string): Models.DisjunctiveLicense {
  const inParentheses = /\(([^()]+)\)$/.exec(classifier)?.[1];
  const id = CLASSIFIER_IDS[classifier] ?? (inParentheses ? SPDX.fixupSpdxId(inParentheses) : undefined);
  return id ? new Models.SpdxLicense(id) : new Models.NamedLicense(classifier);
}

/**
 * What a package declares as its licence, as CycloneDX wants it: one value is an
 * SPDX id, else an SPDX expression when it parses as one, else a named licence;
 * several values (an npm package's legacy list) are each an id or a name, since
 * an expression may not stand beside other licences.
 */
export function declaredLicenses(values: string[]): Models.License[] {
  if (values.length === 1) return [factory.makeFromString(values[0])];
  return values.map((value) => factory.makeDisjunctive(value));
}

/** A Python distribution's licence: `License-Expression`, else a short `License`, else its licence classifiers. */
export function pythonLicenses(distribution: { licenseExpression?: string; license?: string; licenseClassifiers: string[] }): Models.License[] {
  const declared = distribution.licenseExpression ?? distribution.license;
  if (declared) return declaredLicenses([declared]);
  return distribution.licenseClassifiers.map(classifierLicense);
}
