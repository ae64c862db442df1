import { formatImageReference, parseImageReference, resolveImageUse, type ImageNode } from '../src';

describe('image references', () => {
  it.each([
    ['openclaw-base', { repository: 'openclaw-base' }],
    ['openclaw-base:1.0.0', { repository: 'openclaw-base', tag: '1.0.0' }],
    ['localhost:5000/openclaw-base:1.0.0', { registry: 'localhost:5000', repository: 'openclaw-base', tag: '1.0.0' }],
    ['library/python:3.11@sha256:abc', { repository: 'library/python', tag: '3.11', digest: 'sha256:abc' }],
  ])('parses %s', (text, expected) => {
    expect(parseImageReference(text)).toEqual({ registry: undefined, tag: undefined, digest: undefined, ...expected });
    expect(formatImageReference(parseImageReference(text))).toBe(text);
  });

  const images = new Map<string, ImageNode>([['openclaw-base', { project: 'agent-base', image: 'openclaw-base', version: '1.0.0' }]]);
  const options = { registry: 'localhost:5000', inRepoPrefixes: ['openclaw-'] };
  const use = (reference: string) => resolveImageUse({ reference, line: 1, instruction: 'FROM' }, images, options).kind;

  it('tells in-repo, outside and mistyped in-repo images apart', () => {
    expect(use('openclaw-base:1.0.0')).toBe('in-repo');
    expect(use('localhost:5000/openclaw-base')).toBe('in-repo');
    expect(use('python:3.11-slim')).toBe('external');
    expect(use('other.example:5000/openclaw-base')).toBe('external');
    expect(use('openclaw-bsae:1.0.0')).toBe('unknown-in-repo');
    expect(use('localhost:5000/anything')).toBe('unknown-in-repo');
  });
});
