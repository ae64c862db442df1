import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isUserError } from '@taskforge/user-errors';
import { parseCatalogue, parseCatalogueText, readCatalogue } from '../src';
import { TEST_CATALOGUE_DATA, testHash } from './test-catalogue';

const FILE = 'config/capabilities.json';

/** The test catalogue with `change` applied to a deep copy. */
function changed(change: (data: any) => void): unknown {
  const data = structuredClone(TEST_CATALOGUE_DATA) as any;
  change(data);
  return data;
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (isUserError(error)) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('the capability catalogue', () => {
  it('accepts the test catalogue, filling defaults', () => {
    const catalogue = parseCatalogue(TEST_CATALOGUE_DATA, FILE);
    expect(catalogue.capabilities).toHaveLength(TEST_CATALOGUE_DATA.capabilities.length);
    const six = catalogue.capabilities.find((entry) => entry.name === 'six');
    expect(six).toEqual({ kind: 'pip_package', name: 'six', versions: { '1.16.0': { sha256: [testHash('six-1.16.0')], requires: [] } } });
  });

  it('accepts the repo catalogue (config/capabilities.json)', () => {
    const catalogue = readCatalogue(resolve(__dirname, '../../../config/capabilities.json'), FILE);
    expect(catalogue.capabilities.map((entry) => `${entry.kind}:${entry.name}`)).toEqual(['apt_package:jq', 'apt_package:ripgrep']);
  });

  it('reads a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capabilities-'));
    writeFileSync(join(dir, 'capabilities.json'), JSON.stringify(TEST_CATALOGUE_DATA));
    expect(readCatalogue(join(dir, 'capabilities.json')).capabilities).toHaveLength(TEST_CATALOGUE_DATA.capabilities.length);
    expect(errorOf(() => readCatalogue(join(dir, 'missing.json'), 'config/missing.json')).message).toBe(
      'config/missing.json: cannot read the capability catalogue (ENOENT); create it (see libs/task-images/capabilities.schema.json).',
    );
  });

  it('says where the JSON is broken', () => {
    expect(errorOf(() => parseCatalogueText('{"capabilities": [', FILE)).message).toMatch(/^config\/capabilities\.json: not valid JSON \(.+\); fix the syntax\.$/);
  });

  const SEE = '; see libs/task-images/capabilities.schema.json.';
  const pandas = 'capabilities[0].versions["2.0.0"]';
  it.each<[string, (data: any) => void, string]>([
    ['no capabilities', (data) => delete data.capabilities, `field capabilities: Invalid input: expected array, received undefined (got nothing)${SEE}`],
    ['an unknown top-level field', (data) => (data.extra = 1), `field (top level): Unrecognized key: "extra" (got {"capabilities"`],
    ['an unknown kind', (data) => (data.capabilities[1].kind = 'npm_package'), `field capabilities[1].kind: Invalid discriminator value. Expected 'pip_package' | 'apt_package' (got "npm_package")${SEE}`],
    ['a non-canonical pip name', (data) => (data.capabilities[3].name = 'Six'), 'field capabilities[3].name: a PEP 503 normalized project name such as "python-dateutil" (lowercase, single hyphens) (got "Six")'],
    ['a bad pip version key', (data) => (data.capabilities[3].versions = { '1.16': data.capabilities[3].versions['1.16.0'], '>=1': { sha256: [testHash('x')] } }), 'field capabilities[3].versions[">=1"]: '],
    ['a short hash', (data) => (data.capabilities[3].versions['1.16.0'].sha256 = ['abc']), 'field capabilities[3].versions["1.16.0"].sha256[0]: 64 lowercase hex digits: the SHA-256 of a wheel file (got "abc")'],
    ['an uppercase hash', (data) => (data.capabilities[3].versions['1.16.0'].sha256 = [testHash('six').toUpperCase()]), 'field capabilities[3].versions["1.16.0"].sha256[0]: 64 lowercase hex digits'],
    ['no hash', (data) => (data.capabilities[3].versions['1.16.0'].sha256 = []), 'field capabilities[3].versions["1.16.0"].sha256: Too small: expected array to have >=1 items (got [])'],
    ['a repeated hash', (data) => data.capabilities[0].versions['2.0.0'].sha256.push(testHash('pandas-2.0.0-x86_64')), `field ${pandas}.sha256[2]: the hash is listed twice`],
    ['no pip version', (data) => (data.capabilities[3].versions = {}), 'field capabilities[3].versions: no version is approved (got {}); add a version with its wheel hashes, or remove the entry.'],
    ['a range in requires', (data) => (data.capabilities[0].versions['2.0.0'].requires[0] = 'pip_package:numpy>=1.24'), `field ${pandas}.requires[0]: a pin of another catalogue entry such as "pip_package:numpy==1.24.3" (got "pip_package:numpy>=1.24")`],
    ['a missing requirement', (data) => (data.capabilities[0].versions['2.0.0'].requires[2] = 'pip_package:pytz==2022.1'), `field ${pandas}.requires[2]: pip_package:pandas==2.0.0 requires a package version the catalogue does not approve (got "pip_package:pytz==2022.1"); add that version (with its wheel hashes) to the catalogue, or fix the pin.`],
    ['an uncatalogued requirement', (data) => data.capabilities[0].versions['2.0.0'].requires.push('pip_package:scipy==1.11.0'), `field ${pandas}.requires[4]: pip_package:pandas==2.0.0 requires a package version the catalogue does not approve`],
    ['a package required twice', (data) => data.capabilities[0].versions['2.0.0'].requires.push('pip_package:numpy==1.25.0'), `field ${pandas}.requires[4]: pip_package:numpy is already required at requires[0]`],
    ['a cycle', (data) => (data.capabilities[3].versions['1.16.0'].requires = ['pip_package:python-dateutil==2.8.2']), 'the requirements form a cycle: pip_package:python-dateutil==2.8.2 -> pip_package:six==1.16.0 -> pip_package:python-dateutil==2.8.2 (got "pip_package:python-dateutil==2.8.2"); break the cycle.'],
    ['a self-requirement', (data) => (data.capabilities[3].versions['1.16.0'].requires = ['pip_package:six==1.16.0']), 'field capabilities[3].versions["1.16.0"].requires[0]: the requirements form a cycle: pip_package:six==1.16.0 -> pip_package:six==1.16.0'],
    ['a duplicate entry', (data) => data.capabilities.push({ kind: 'apt_package', name: 'jq', versions: ['1.7'] }), 'field capabilities[9].name: apt_package:jq is already catalogued at capabilities[6] (got "jq"); merge the two entries into one.'],
    ['a bad Debian name', (data) => (data.capabilities[6].name = 'jq:amd64'), 'field capabilities[6].name: a Debian package name such as "ripgrep" (got "jq:amd64")'],
    ['a bad Debian version', (data) => (data.capabilities[6].versions = ['1.6/bookworm']), 'field capabilities[6].versions[0]: a Debian version such as "1.6-2.1" (no "/") (got "1.6/bookworm")'],
    ['a repeated Debian version', (data) => (data.capabilities[6].versions = ['1.6-2.1', '1.6-2.1']), 'field capabilities[6].versions[1]: the version is listed twice'],
    ['no Debian version', (data) => (data.capabilities[6].versions = []), 'field capabilities[6].versions: at least one Debian version, or "any-from-debian" (got [])'],
    ['an implicit any', (data) => (data.capabilities[6].versions = 'any'), 'field capabilities[6].versions: "any-from-debian" or a non-empty list of Debian versions (got "any")'],
    ['an unknown entry field', (data) => (data.capabilities[6].sha256 = []), 'field capabilities[6]: Unrecognized key: "sha256"'],
    ['a newline in a name', (data) => (data.capabilities[6].name = 'jq\nRUN id'), 'field capabilities[6].name: a Debian package name such as "ripgrep" (got "jq\\nRUN id")'],
  ])('refuses %s in one line naming file and field', (_, change, message) => {
    const error = errorOf(() => parseCatalogue(changed(change), FILE));
    expect(error.message).toContain(`${FILE}: `);
    expect(error.message).toContain(message);
    // eslint-disable-next-line no-control-regex -- one line: no control characters
    expect(error.message).not.toMatch(/[\u0000-\u001f\u2028\u2029]/);
  });

  it('keeps the repo catalogue free of placeholder hashes', () => {
    const text = readFileSync(resolve(__dirname, '../../../config/capabilities.json'), 'utf8');
    expect(text).not.toMatch(/(0{16}|placeholder|TODO)/i);
  });
});
