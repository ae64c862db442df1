import { normalizePythonName, parsePythonMetadata } from '../src';

const LOCATION = '/usr/lib/python3/dist-packages/x.dist-info';

describe('parsePythonMetadata', () => {
  it.each([
    [
      'a PEP 639 License-Expression',
      'Metadata-Version: 2.4\nName: attrs\nVersion: 24.2.0\nLicense-Expression: MIT\nClassifier: License :: OSI Approved :: MIT License\n\nlong description\nLicense: not-a-header\n',
      { name: 'attrs', version: '24.2.0', licenseExpression: 'MIT', license: undefined, licenseClassifiers: ['MIT License'] },
    ],
    [
      'a short License field',
      'Metadata-Version: 2.1\nName: numpy\nVersion: 1.24.2\nLicense: BSD-3-Clause\n',
      { name: 'numpy', version: '1.24.2', licenseExpression: undefined, license: 'BSD-3-Clause', licenseClassifiers: [] },
    ],
    [
      'a License field holding the whole licence text (folded), which names nothing usable',
      'Metadata-Version: 2.1\nName: scipy\nVersion: 1.10.1\nLicense: Copyright (c) 2001-2002 Enthought, Inc.\n        All rights reserved.\nClassifier: License :: OSI Approved :: BSD License\nClassifier: Programming Language :: Python\n',
      { name: 'scipy', version: '1.10.1', licenseExpression: undefined, license: undefined, licenseClassifiers: ['BSD License'] },
    ],
    [
      'an old PKG-INFO with UNKNOWN licence',
      'Metadata-Version: 1.1\nName: python-dateutil\nVersion: 2.8.2\nLicense: UNKNOWN\nDescription: Extensions\n        |to datetime\n',
      { name: 'python-dateutil', version: '2.8.2', licenseExpression: undefined, license: undefined, licenseClassifiers: [] },
    ],
  ])('reads %s', (_case, text, expected) => {
    expect(parsePythonMetadata(text, LOCATION)).toEqual({ ...expected, location: LOCATION });
  });

  it.each([
    ['no Name', 'Metadata-Version: 2.1\nVersion: 1.0\n'],
    ['no Version', 'Metadata-Version: 2.1\nName: x\n'],
    ['a Name only in the body', 'Metadata-Version: 2.1\n\nName: x\nVersion: 1\n'],
  ])('is undefined for metadata with %s', (_case, text) => {
    expect(parsePythonMetadata(text, LOCATION)).toBeUndefined();
  });

  it.each([
    ['Django', 'django'],
    ['python_dateutil', 'python-dateutil'],
    ['zope.interface', 'zope-interface'],
    ['Foo__Bar-.baz', 'foo-bar-baz'],
  ])('normalizes %s to %s (PEP 503)', (name, expected) => {
    expect(normalizePythonName(name)).toBe(expected);
  });
});
