import { approveCapabilities, isRequestRefused, parseCapabilityList, RequestRefused } from '../src';
import { TEST_CATALOGUE, testHash } from './test-catalogue';

const approve = (capabilities: string[]) => approveCapabilities(TEST_CATALOGUE, parseCapabilityList(capabilities));

function refusal(run: () => unknown): RequestRefused {
  try {
    run();
  } catch (error) {
    if (isRequestRefused(error)) return error;
    throw error;
  }
  throw new Error('expected a RequestRefused');
}

describe('approveCapabilities', () => {
  it('returns the closure through requires, sorted, with every hash', () => {
    const set = approve(['pip_package:pandas==2.0.0', 'apt_package:ripgrep', 'apt_package:jq=1.6-2.1']);
    expect(set.pipPackages.map((pkg) => `${pkg.name}==${pkg.version}`)).toEqual(['numpy==1.24.3', 'pandas==2.0.0', 'python-dateutil==2.8.2', 'pytz==2023.3', 'six==1.16.0', 'tzdata==2023.3']);
    expect(set.pipPackages.find((pkg) => pkg.name === 'pandas')!.sha256).toEqual([testHash('pandas-2.0.0-x86_64'), testHash('pandas-2.0.0-aarch64')].sort());
    expect(set.aptPackages).toEqual([
      { kind: 'apt_package', name: 'jq', version: '1.6-2.1' },
      { kind: 'apt_package', name: 'ripgrep' },
    ]);
  });

  it.each([
    [['pip_package:pandas==2.0.0', 'apt_package:ripgrep', 'apt_package:jq=1.6-2.1'], 'pip_package:pandas,apt_package:ripgrep,apt_package:jq'],
    [['apt_package:ripgrep=13.0.0-4+b2', 'pip_package:Python.Dateutil==2.8.2'], 'apt_package:ripgrep,pip_package:python-dateutil'],
    [['pip_package:six==1.16.0', 'pip_package:python-dateutil==2.8.2'], 'pip_package:six,pip_package:python-dateutil'],
  ])('labels %j as %s (requested only, request order, canonical names)', (capabilities, label) => {
    expect(approve(capabilities).labels).toEqual({ capabilities: label });
  });

  it('takes names and versions from the catalogue and merges a requested requirement', () => {
    const set = approve(['pip_package:Python_Dateutil==2.8.2', 'pip_package:SIX==1.16.0']);
    expect(set.pipPackages.map((pkg) => pkg.name)).toEqual(['python-dateutil', 'six']);
  });

  it('installs any Debian version when the catalogue says so, and the requested one', () => {
    expect(approve(['apt_package:libstdc++6']).aptPackages).toEqual([{ kind: 'apt_package', name: 'libstdc++6' }]);
    expect(approve(['apt_package:libstdc++6=12.2.0-14']).aptPackages).toEqual([{ kind: 'apt_package', name: 'libstdc++6', version: '12.2.0-14' }]);
  });

  const HOW = 'a capability is approved by a reviewed change to config/capabilities.json.';
  it.each([
    [['pip_package:requests==2.31.0'], `capabilities[0]: "pip_package:requests==2.31.0" is not approved (config/capabilities.json has no pip_package:requests); ${HOW}`],
    [['apt_package:jq=1.6-2.1', 'pip_package:pandas==1.5.3'], `capabilities[1]: "pip_package:pandas==1.5.3" is not approved (approved versions of pip_package:pandas: 2.0.0); ${HOW}`],
    [['apt_package:curl'], `capabilities[0]: "apt_package:curl" is not approved (config/capabilities.json has no apt_package:curl); ${HOW}`],
    [['apt_package:jq'], `capabilities[0]: "apt_package:jq" is not approved without a version (name one of: 1.6-2.1); ${HOW}`],
    [['apt_package:jq=1.5+dfsg-2'], `capabilities[0]: "apt_package:jq=1.5+dfsg-2" is not approved (approved versions of apt_package:jq: 1.6-2.1); ${HOW}`],
    [['apt_package:python3-pip'], 'is not approved (config/capabilities.json has no apt_package:python3-pip)'],
    [
      ['pip_package:numpy==1.25.0', 'pip_package:pandas==2.0.0'],
      `capabilities[1]: "pip_package:pandas==2.0.0" is not approved together with pip_package:numpy==1.25.0 (capabilities[0] asks for it; pip_package:pandas==2.0.0 requires 1.24.3); ${HOW}`,
    ],
    [['pip_package:pandas==2.0.0', 'pip_package:numpy==1.25.0'], 'capabilities[0]: "pip_package:pandas==2.0.0" is not approved together with pip_package:numpy==1.25.0 (capabilities[1] asks for it;'],
  ])('refuses %j with 403', (capabilities, message) => {
    const error = refusal(() => approve(capabilities));
    expect(error.status).toBe(403);
    expect(error.message).toContain(message);
  });

  it('refuses with 403 even when called without parseCapabilityList', () => {
    const error = refusal(() =>
      approveCapabilities(TEST_CATALOGUE, [
        { kind: 'apt_package', name: 'jq', version: '1.6-2.1', text: 'apt_package:jq=1.6-2.1' },
        { kind: 'apt_package', name: 'jq', text: 'apt_package:jq' },
      ]),
    );
    expect(error.status).toBe(403);
  });
});
