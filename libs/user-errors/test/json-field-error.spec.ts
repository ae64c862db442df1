import { fieldError, formatPath, shortJson, valueAt } from '../src';

// The one-line error every JSON file of the tooling gets (capabilities, waivers): file, field, value, fix.
describe('errors naming a field of a JSON file', () => {
  it.each([
    [[], '(top level)'],
    [['capabilities', 2, 'versions', '2.0.0', 'requires', 0], 'capabilities[2].versions["2.0.0"].requires[0]'],
    [['openssl', 'CVE-2024-0727', 'releases'], 'openssl["CVE-2024-0727"].releases'],
  ])('path %j reads %s', (path, text) => expect(formatPath(path)).toBe(text));

  it('shows a value on one line of printable ASCII, at most about 80 characters', () => {
    expect(shortJson(undefined)).toBe('nothing');
    expect(shortJson('a\nb\u2028')).toBe('"a\\nb\\u2028"');
    expect(shortJson('x'.repeat(200))).toHaveLength(80);
  });

  it('finds the value at a path and makes one line of the error', () => {
    const data = { waivers: [{ expires: '2025-02-30' }] };
    expect(valueAt(data, ['waivers', 0, 'expires'])).toBe('2025-02-30');
    expect(valueAt(data, ['waivers', 3, 'expires'])).toBeUndefined();
    expect(fieldError('config/w.json', ['waivers', 0, 'expires'], '2025-02-30', 'not a calendar date', 'write YYYY-MM-DD').message).toBe(
      'config/w.json: field waivers[0].expires: not a calendar date (got "2025-02-30"); write YYYY-MM-DD.',
    );
  });
});
