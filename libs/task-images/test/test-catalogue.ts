// The catalogue the tests approve against: pandas 2.0.0 with its real dependency tree, and test wheel hashes (the
// SHA-256 of a name, not of a wheel: nothing here is installed). Never config/capabilities.json, which changes.
import { createHash } from 'node:crypto';
import { parseCatalogue, type Catalogue } from '../src';

/** A stand-in wheel hash: 64 hex digits derived from `label`. */
export const testHash = (label: string): string => createHash('sha256').update(label).digest('hex');

export const TEST_CATALOGUE_DATA = {
  capabilities: [
    {
      kind: 'pip_package',
      name: 'pandas',
      versions: {
        '2.0.0': {
          sha256: [testHash('pandas-2.0.0-x86_64'), testHash('pandas-2.0.0-aarch64')],
          requires: ['pip_package:numpy==1.24.3', 'pip_package:python-dateutil==2.8.2', 'pip_package:pytz==2023.3', 'pip_package:tzdata==2023.3'],
        },
      },
    },
    { kind: 'pip_package', name: 'numpy', versions: { '1.24.3': { sha256: [testHash('numpy-1.24.3')] }, '1.25.0': { sha256: [testHash('numpy-1.25.0')] } } },
    { kind: 'pip_package', name: 'python-dateutil', versions: { '2.8.2': { sha256: [testHash('python-dateutil-2.8.2')], requires: ['pip_package:six==1.16.0'] } } },
    { kind: 'pip_package', name: 'six', versions: { '1.16.0': { sha256: [testHash('six-1.16.0')] } } },
    { kind: 'pip_package', name: 'pytz', versions: { '2023.3': { sha256: [testHash('pytz-2023.3')] } } },
    { kind: 'pip_package', name: 'tzdata', versions: { '2023.3': { sha256: [testHash('tzdata-2023.3')] } } },
    { kind: 'apt_package', name: 'jq', versions: ['1.6-2.1'] },
    { kind: 'apt_package', name: 'ripgrep', versions: 'any-from-debian' },
    { kind: 'apt_package', name: 'libstdc++6', versions: 'any-from-debian' },
  ],
};

export const TEST_CATALOGUE: Catalogue = parseCatalogue(TEST_CATALOGUE_DATA, 'test-catalogue.json');
