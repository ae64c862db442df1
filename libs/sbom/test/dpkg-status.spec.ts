import { parseDpkgStatus } from '../src';

// The shapes dpkg writes: no Source field, a Source that names only the source package, one with its own version,
// an epoch, a folded Description, and packages in states other than installed.
const STATUS = `Package: adduser
Status: install ok installed
Priority: important
Architecture: all
Version: 3.134
Description: add and remove users and groups
 This package includes the 'adduser' and 'deluser' commands.
 .
 Source: not-a-field (1.0)

Package: bsdutils
Status: install ok installed
Architecture: amd64
Source: util-linux (2.38.1-5+deb12u3)
Version: 1:2.38.1-5+deb12u3

Package: libpython3.11-stdlib
Status: hold ok installed
Architecture: amd64
Source: python3.11
Version: 3.11.2-6+deb12u9

Package: old-config
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: half-done
Status: install reinstreq half-installed
Architecture: amd64
Version: 2.0-1

Package: unpacked-only
Status: install ok unpacked
Architecture: amd64
Version: 3.0-1
`;

describe('parseDpkgStatus', () => {
  const packages = parseDpkgStatus(STATUS, '/var/lib/dpkg/status');
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));

  it.each([
    ['adduser', { version: '3.134', architecture: 'all', source: 'adduser', sourceVersion: '3.134' }],
    ['bsdutils', { version: '1:2.38.1-5+deb12u3', architecture: 'amd64', source: 'util-linux', sourceVersion: '2.38.1-5+deb12u3' }],
    ['libpython3.11-stdlib', { version: '3.11.2-6+deb12u9', architecture: 'amd64', source: 'python3.11', sourceVersion: '3.11.2-6+deb12u9' }],
  ])('reads %s with its version, architecture and source', (name, expected) => {
    expect(byName.get(name)).toEqual({ name, ...expected, location: '/var/lib/dpkg/status' });
  });

  it('lists only packages whose files are installed, in file order', () => {
    expect(packages.map((pkg) => pkg.name)).toEqual(['adduser', 'bsdutils', 'libpython3.11-stdlib']);
  });

  it.each([
    ['/var/lib/dpkg/status.d/libc6', ['libc6']],
    ['/var/lib/dpkg/status', []],
  ])('in %s, a package without a Status field is installed only in a per-package status.d file', (location, expected) => {
    const text = 'Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n';
    expect(parseDpkgStatus(text, location).map((pkg) => pkg.name)).toEqual(expected);
  });

  it('skips paragraphs that are not packages and CRLF line ends change nothing', () => {
    expect(parseDpkgStatus('Status: install ok installed\r\nVersion: 1\r\n\r\nPackage: a\r\nStatus: install ok installed\r\nArchitecture: all\r\nVersion: 1\r\n', '/var/lib/dpkg/status')).toEqual([
      { name: 'a', version: '1', architecture: 'all', source: 'a', sourceVersion: '1', location: '/var/lib/dpkg/status' },
    ]);
  });
});
