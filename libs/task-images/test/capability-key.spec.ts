import { approveCapabilities, capabilitySetKey, parseCapabilityList, type ApprovedSet } from '../src';
import { TEST_CATALOGUE } from './test-catalogue';

const DIGEST = `sha256:${'a1'.repeat(32)}`;
const approve = (capabilities: string[]): ApprovedSet => approveCapabilities(TEST_CATALOGUE, parseCapabilityList(capabilities));
const SET = approve(['pip_package:pandas==2.0.0', 'apt_package:ripgrep', 'apt_package:jq=1.6-2.1']);
const KEY = capabilitySetKey(DIGEST, SET, '1.0.0');

const withPip = (change: (pkg: ApprovedSet['pipPackages'][number]) => ApprovedSet['pipPackages'][number]): ApprovedSet => ({
  ...SET,
  pipPackages: SET.pipPackages.map((pkg) => (pkg.name === 'six' ? change(pkg) : pkg)),
});

describe('capabilitySetKey', () => {
  it('is 32 hex digits, the same for the same set', () => {
    expect(KEY).toMatch(/^[0-9a-f]{32}$/);
    expect(capabilitySetKey(DIGEST, approve(['pip_package:pandas==2.0.0', 'apt_package:ripgrep', 'apt_package:jq=1.6-2.1']), '1.0.0')).toBe(KEY);
  });

  it('does not depend on request order, labels or hash order', () => {
    expect(capabilitySetKey(DIGEST, approve(['apt_package:jq=1.6-2.1', 'apt_package:ripgrep', 'pip_package:pandas==2.0.0']), '1.0.0')).toBe(KEY);
    expect(capabilitySetKey(DIGEST, { ...SET, labels: { capabilities: 'x' } }, '1.0.0')).toBe(KEY);
    const reversed: ApprovedSet = { ...SET, pipPackages: [...SET.pipPackages].reverse().map((pkg) => ({ ...pkg, sha256: [...pkg.sha256].reverse() })), aptPackages: [...SET.aptPackages].reverse() };
    expect(capabilitySetKey(DIGEST, reversed, '1.0.0')).toBe(KEY);
  });

  it.each<[string, () => string]>([
    ['the base digest', () => capabilitySetKey(`sha256:${'b2'.repeat(32)}`, SET, '1.0.0')],
    ['the builder version', () => capabilitySetKey(DIGEST, SET, '1.0.1')],
    ['a pip version', () => capabilitySetKey(DIGEST, withPip((pkg) => ({ ...pkg, version: '1.16.1' })), '1.0.0')],
    ['a wheel hash', () => capabilitySetKey(DIGEST, withPip((pkg) => ({ ...pkg, sha256: [`${pkg.sha256[0].slice(0, -1)}0`] })), '1.0.0')],
    ['an added wheel hash', () => capabilitySetKey(DIGEST, withPip((pkg) => ({ ...pkg, sha256: [...pkg.sha256, 'f'.repeat(64)] })), '1.0.0')],
    ['a Debian version', () => capabilitySetKey(DIGEST, { ...SET, aptPackages: [{ kind: 'apt_package', name: 'jq' }, SET.aptPackages[1]] }, '1.0.0')],
    ['a package less', () => capabilitySetKey(DIGEST, approve(['pip_package:pandas==2.0.0', 'apt_package:ripgrep']), '1.0.0')],
    ['pip instead of apt with the same name', () => capabilitySetKey(DIGEST, { ...SET, aptPackages: [], pipPackages: [...SET.pipPackages] }, '1.0.0')],
  ])('changes with %s', (_, key) => {
    expect(key()).not.toBe(KEY);
  });

  it.each(['a1'.repeat(32), `sha256:${'A1'.repeat(32)}`, `localhost:5000/x@${DIGEST}`])('refuses the base digest %j', (digest) => {
    expect(() => capabilitySetKey(digest, SET, '1.0.0')).toThrow(/is not sha256:<64 hex digits>/);
  });
});
