import { parseGoVersionFile, parseNpmPackage } from '../src';

describe('parseNpmPackage', () => {
  it.each([
    ['a licence string', '{"name":"semver","version":"7.3.5","license":"ISC"}', { name: 'semver', version: '7.3.5', licenses: ['ISC'] }],
    ['a scoped package with an expression', '{"name":"@babel/core","version":"7.20.12","license":"(MIT OR Apache-2.0)"}', { name: '@babel/core', version: '7.20.12', licenses: ['(MIT OR Apache-2.0)'] }],
    ['a legacy licence object', '{"name":"a","version":"1.0.0","license":{"type":"MIT","url":"x"}}', { name: 'a', version: '1.0.0', licenses: ['MIT'] }],
    ['a legacy licences list', '{"name":"b","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}', { name: 'b', version: '1.0.0', licenses: ['MIT', 'Apache-2.0'] }],
    ['a pointer to a licence file', '{"name":"c","version":"1.0.0","license":"SEE LICENSE IN LICENSE.md"}', { name: 'c', version: '1.0.0', licenses: [] }],
  ])('reads %s', (_case, text, expected) => {
    expect(parseNpmPackage(text, '/usr/share/nodejs/x')).toEqual({ ...expected, location: '/usr/share/nodejs/x' });
  });

  it.each([
    ['a package.json inside a package', '{"type":"module"}'],
    ['no version', '{"name":"x"}'],
    ['not JSON', '{"name":'],
    ['JSON that is not an object', '["x"]'],
  ])('is undefined for %s', (_case, text) => {
    expect(parseNpmPackage(text, '/x')).toBeUndefined();
  });
});

describe('parseGoVersionFile', () => {
  it.each([
    ['go1.19.8', '1.19.8'],
    ['go1.21.0\ntime 2023-08-08T19:38:41Z\n', '1.21.0'],
    ['go1.22rc1\n', '1.22rc1'],
  ])('reads %j as %s', (text, version) => {
    expect(parseGoVersionFile(text, '/usr/lib/go-1.19')).toEqual({ version, location: '/usr/lib/go-1.19' });
  });

  it.each(['devel +abc123', '', 'go version go1.19.8 linux/amd64'])('is undefined for %j', (text) => {
    expect(parseGoVersionFile(text, '/x')).toBeUndefined();
  });
});
