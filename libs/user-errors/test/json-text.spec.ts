import { parseJsonText, UserError } from '../src';

describe('parseJsonText', () => {
  it('parses JSON text', () => {
    expect(parseJsonText('{"a":[1]}', 'x.json')).toEqual({ a: [1] });
  });

  it('fails with one line naming the file, the parser and the fix', () => {
    const error = (() => {
      try {
        parseJsonText('{"a":', 'config/x.json', 'give the file unchanged');
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/^config\/x\.json: not valid JSON \(.+\); give the file unchanged\.$/);
    expect(error.message).not.toContain('\n');
    expect(() => parseJsonText('nope', 'y.json')).toThrow(/^y\.json: not valid JSON \(.+\); fix the syntax\.$/);
  });
});
