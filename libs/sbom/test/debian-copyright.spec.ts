import { debianCopyrightLicenses } from '../src';

const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: util-linux
Source: https://www.kernel.org/pub/linux/utils/util-linux/

Files: *
Copyright: 2008 Karel Zak
License: GPL-2+

Files: lib/md5.c
Copyright: none
License: public-domain
 The MD5 code is in the public domain.
 .
 License: not-a-field

Files: libblkid/*
Copyright: 2008 Karel Zak
License: LGPL-2.1+ or BSD-3-clause, and MIT

Files: misc-utils/*
License: GPL-2+ with OpenSSL exception

License: GPL-2+
 This program is free software.
`;

describe('debianCopyrightLicenses', () => {
  it.each([
    ['a DEP-5 file: every License short name once, combinations split, exceptions kept', DEP5, ['GPL-2+', 'public-domain', 'LGPL-2.1+', 'BSD-3-clause', 'MIT', 'GPL-2+ with OpenSSL exception']],
    ['the older Format-Specification header', 'Format-Specification: http://svn.debian.org/wsvn/dep/web/deps/dep5.mdwn?op=file&rev=135\nName: foo\n\nFiles: *\nLicense: Expat\n', ['Expat']],
    ['a machine-readable file with "and"/"or" inside one field', 'Format: http://www.debian.org/doc/packaging-manuals/copyright-format/1.0\n\nFiles: *\nLicense: Artistic or GPL-1+\n', ['Artistic', 'GPL-1+']],
  ])('%s', (_case, text, expected) => {
    expect(debianCopyrightLicenses(text)).toEqual(expected);
  });

  it.each([
    ['free-form text', 'This is the Debian prepackaged version of the GNU C Library.\n\nLicense: LGPL-2.1\n'],
    ['a Format line that names another format', 'Format: https://example.invalid/my-format\n\nLicense: MIT\n'],
    ['an empty file', ''],
  ])('is undefined for %s (no reliable licence names)', (_case, text) => {
    expect(debianCopyrightLicenses(text)).toBeUndefined();
  });
});
