import { debianLicenseId, declaredLicenses, pythonLicenses } from '../src';

/** A licence model as it is serialized: an SPDX id, an expression or a name. */
function shown(license: object): string {
  const { id, name, expression } = license as { id?: string; name?: string; expression?: string };
  return id ? `id:${id}` : expression ? `expression:${expression}` : `name:${name}`;
}

describe('licences', () => {
  it.each([
    ['GPL-2', 'GPL-2.0-only'],
    ['GPL-2+', 'GPL-2.0-or-later'],
    ['LGPL-2.1+', 'LGPL-2.1-or-later'],
    ['LGPL-3', 'LGPL-3.0-only'],
    ['GFDL-1.2+', 'GFDL-1.2-or-later'],
    ['AGPL-3+', 'AGPL-3.0-or-later'],
    ['Expat', 'MIT'],
    ['BSD-3-clause', 'BSD-3-Clause'],
    ['Apache-2', 'Apache-2.0'],
    ['PSF-2', 'PSF-2.0'],
    ['Zlib', 'Zlib'],
    ['public-domain', undefined],
    ['GPL-2+ with OpenSSL exception', undefined],
    ['GPL-9', undefined],
  ])('Debian short name %s is SPDX %s', (name, id) => {
    expect(debianLicenseId(name)).toBe(id);
  });

  it.each([
    [['MIT'], ['id:MIT']],
    [['(MIT OR Apache-2.0)'], ['expression:(MIT OR Apache-2.0)']],
    [['new BSD License'], ['name:new BSD License']],
    // Beside other licences an expression may not stand: each value is an id or a name.
    [['MIT', 'MIT OR Apache-2.0'], ['id:MIT', 'name:MIT OR Apache-2.0']],
  ])('declared %j is %j', (values, expected) => {
    expect(declaredLicenses(values).map(shown)).toEqual(expected);
  });

  it.each([
    [{ licenseExpression: 'BSD-3-Clause AND MIT', license: 'BSD', licenseClassifiers: ['BSD License'] }, ['expression:BSD-3-Clause AND MIT']],
    [{ license: 'Apache 2.0', licenseClassifiers: ['Apache Software License'] }, ['name:Apache 2.0']],
    [{ licenseClassifiers: ['MIT License', 'Historical Permission Notice and Disclaimer (HPND)', 'BSD License'] }, ['id:MIT', 'id:HPND', 'name:BSD License']],
    [{ licenseClassifiers: [] }, []],
  ])('Python distribution %j has %j', (distribution, expected) => {
    expect(pythonLicenses(distribution).map(shown)).toEqual(expected);
  });
});
