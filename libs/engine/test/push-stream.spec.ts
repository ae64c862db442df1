import { pushedDigest, type EngineMessage } from '../src';

const DIGEST = 'sha256:' + 'ab'.repeat(32);

// The last messages of a push stream, as each engine and image store sends them.
describe('pushedDigest', () => {
  it.each<[string, EngineMessage[], { digest: string; size?: number } | undefined]>([
    [
      'classic store (20.10 to 29): the status line, then aux {Tag, Digest, Size}',
      [{ status: `1.0.0: digest: ${DIGEST} size: 1573` }, { progressDetail: {}, aux: { Tag: '1.0.0', Digest: DIGEST, Size: 1573 } } as EngineMessage],
      { digest: DIGEST, size: 1573 },
    ],
    [
      'containerd store (27 to 29, moby/moby#48331): the status line only, no aux',
      [{ status: 'Pushing', id: '3f1a' }, { status: `ck-0123abcd: digest: ${DIGEST} size: 856` }],
      { digest: DIGEST, size: 856 },
    ],
    ['a push that ended without either', [{ status: 'The push refers to repository [127.0.0.1:5000/x]' }, { status: 'Pushed', id: 'abc' }], undefined],
    ['a layer id that looks like a digest is not the pushed digest', [{ status: 'Layer already exists', id: DIGEST.slice(7, 19) }], undefined],
  ])('%s', (_, messages, expected) => {
    const found = messages.map(pushedDigest).filter(Boolean).pop();
    expect(found).toEqual(expected);
  });
});
