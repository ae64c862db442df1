import { debianPackageUrl, goStdlibPackageUrl, npmPackageUrl, ociPackageUrl, pythonPackageUrl } from '../src';

const BOOKWORM = { id: 'debian', versionId: '12' };

describe('package URLs', () => {
  it.each([
    [{ name: 'adduser', version: '3.134', architecture: 'all' }, 'pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12'],
    // The epoch's ':' and the '+' are percent-encoded; decoding gives dpkg's version back exactly.
    [{ name: 'bsdutils', version: '1:2.38.1-5+deb12u3', architecture: 'amd64' }, 'pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12'],
    [{ name: 'libstdc++6', version: '12.2.0-14~bpo1', architecture: 'amd64' }, 'pkg:deb/debian/libstdc%2B%2B6@12.2.0-14~bpo1?arch=amd64&distro=debian-12'],
  ])('Debian package %j', (pkg, purl) => {
    expect(debianPackageUrl(pkg, BOOKWORM)).toBe(purl);
    expect(decodeURIComponent(/@([^?]+)/.exec(purl)![1])).toBe(pkg.version);
  });

  it.each([
    [pythonPackageUrl('python_dateutil', '2.8.2'), 'pkg:pypi/python-dateutil@2.8.2'],
    [pythonPackageUrl('lz4', '4.0.2+dfsg'), 'pkg:pypi/lz4@4.0.2%2Bdfsg'],
    [npmPackageUrl('@babel/core', '7.20.12'), 'pkg:npm/%40babel/core@7.20.12'],
    [npmPackageUrl('JSONStream', '1.3.5'), 'pkg:npm/jsonstream@1.3.5'],
    [goStdlibPackageUrl('1.19.8'), 'pkg:golang/stdlib@1.19.8'],
    [
      ociPackageUrl('openclaw-base', `sha256:${'a'.repeat(64)}`, { repositoryUrl: 'localhost:5000/openclaw-base', tag: '1.0.0', arch: 'amd64' }),
      `pkg:oci/openclaw-base@sha256%3A${'a'.repeat(64)}?arch=amd64&repository_url=localhost%3A5000%2Fopenclaw-base&tag=1.0.0`,
    ],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });
});
