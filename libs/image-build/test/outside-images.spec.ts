import Docker from 'dockerode';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  loadImageSet,
  movedOutsideImages,
  outsideImagesOfRun,
  outsideImagesVariable,
  resolveOutsideImages,
  type OutsideImage,
  type OutsideImages,
} from '../src';

const UPSTREAM = 'localhost:5239/upstream:1';
const PINNED = `localhost:5239/pinned@sha256:${'c'.repeat(64)}`;
const AAA = `sha256:${'a'.repeat(64)}`;
const BBB = `sha256:${'b'.repeat(64)}`;

/** A workspace of two images FROM the same outside tag, one FROM a pinned outside image, and one FROM an image of the repo. */
function workspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'outside-keys-'));
  const image = (dir: string, name: string, dockerfile: string) => {
    for (const [file, content] of Object.entries({
      'image.json': JSON.stringify({ name, project: name, description: name }),
      VERSION: '1.0.0\n',
      Dockerfile: dockerfile,
      'file.txt': `${name}\n`,
    })) {
      mkdirSync(dirname(join(root, dir, file)), { recursive: true });
      writeFileSync(join(root, dir, file), content);
    }
  };
  image('images/app', 'fx-app', `FROM ${UPSTREAM}\nCOPY file.txt /app.txt\n`);
  image('images/other', 'fx-other', `FROM ${UPSTREAM}\nCOPY file.txt /other.txt\n`);
  image('images/child', 'fx-child', 'FROM fx-app:1.0.0\nCOPY file.txt /child.txt\n');
  image('images/pinned', 'fx-pinned', `FROM ${PINNED}\nCOPY file.txt /pinned.txt\n`);
  return root;
}

const FILES = ['images/app/image.json', 'images/other/image.json', 'images/child/image.json', 'images/pinned/image.json'];
const SETTINGS = { registry: 'localhost:5000', inRepoPrefixes: ['fx-'] };

function resolved(...images: OutsideImage[]): OutsideImages {
  return new Map(images.map((image) => [image.reference, image]));
}

describe('content keys of images FROM outside the repo', () => {
  let root: string;
  const keysWith = (outside: OutsideImages) => loadImageSet(root, FILES, SETTINGS, { outside }).keys;
  beforeAll(() => {
    root = workspace();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('follow the digest the outside tag resolved to: same digest, same key; another digest, another key, down to images built on it', () => {
    const atA = keysWith(resolved({ reference: UPSTREAM, digest: AAA, source: 'registry' }));
    const atAAgain = keysWith(resolved({ reference: UPSTREAM, digest: AAA, source: 'engine' }));
    const atB = keysWith(resolved({ reference: UPSTREAM, digest: BBB, source: 'registry' }));
    expect(atAAgain).toEqual(atA);
    for (const project of ['fx-app', 'fx-other', 'fx-child']) expect(atB.get(project)).not.toBe(atA.get(project));
    expect(atB.get('fx-pinned')).toBe(atA.get('fx-pinned'));
  });

  it('key an unresolved outside image by its reference, as before digests were asked, and a pinned one by its own pin', () => {
    const unresolved = keysWith(resolved({ reference: UPSTREAM, source: 'unresolved', note: 'registry down' }));
    const nothingKnown = keysWith(new Map());
    expect(unresolved).toEqual(nothingKnown);
    expect(unresolved.get('fx-app')).not.toBe(keysWith(resolved({ reference: UPSTREAM, digest: AAA, source: 'registry' })).get('fx-app'));
    expect(keysWith(resolved({ reference: PINNED, digest: `sha256:${'c'.repeat(64)}`, source: 'pinned' })).get('fx-pinned')).toBe(nothingKnown.get('fx-pinned'));
  });

  it('come out the same in every task of a run: what preTasksExecution resolved travels in one environment variable', () => {
    const outside = resolved({ reference: UPSTREAM, digest: AAA, source: 'registry' }, { reference: PINNED, digest: `sha256:${'c'.repeat(64)}`, source: 'pinned' });
    const env = { TASKFORGE_OUTSIDE_IMAGES: outsideImagesVariable(outside) };
    expect(outsideImagesOfRun(env)).toEqual(outside);
    expect(outsideImagesOfRun({})).toEqual(new Map());
    expect(outsideImagesOfRun({ TASKFORGE_OUTSIDE_IMAGES: '{half' })).toEqual(new Map());
  });
});

describe('resolving outside images', () => {
  it('takes a pinned digest as it is, without asking the registry or the engine', async () => {
    const outside = await resolveOutsideImages([PINNED], () => {
      throw new Error('the engine must not be asked about a pinned reference');
    });
    expect(outside.get(PINNED)).toEqual({ reference: PINNED, digest: `sha256:${'c'.repeat(64)}`, source: 'pinned' });
  });

  it('keys by the reference and says why when neither the registry nor the engine answers', async () => {
    // Nothing listens on port 5239 and no engine on this socket: both refusals are real, and immediate.
    const outside = await resolveOutsideImages([UPSTREAM, UPSTREAM], () => new Docker({ socketPath: join(tmpdir(), 'no-engine-here.sock') }));
    expect(outside.size).toBe(1);
    const upstream = outside.get(UPSTREAM)!;
    expect(upstream.source).toBe('unresolved');
    expect(upstream.digest).toBeUndefined();
    expect(upstream.note).toMatch(/localhost:5239.*; the engine: .*no-engine-here\.sock/);
  });
});

describe('moved outside images', () => {
  it('names a reference whose manifest digest changed, and nothing for new, unchanged or image-ID-only entries', () => {
    const before = { [UPSTREAM]: { reference: UPSTREAM, digest: AAA, source: 'registry' as const }, 'x:1': { reference: 'x:1', digest: AAA, source: 'engine image id' as const } };
    const after = {
      [UPSTREAM]: { reference: UPSTREAM, digest: BBB, source: 'registry' as const },
      'x:1': { reference: 'x:1', digest: BBB, source: 'registry' as const },
      'new:1': { reference: 'new:1', digest: BBB, source: 'registry' as const },
    };
    expect(movedOutsideImages(before, after)).toEqual([{ reference: UPSTREAM, from: AAA, to: BBB }]);
    expect(movedOutsideImages(after, after)).toEqual([]);
    expect(movedOutsideImages(undefined, after)).toEqual([]);
  });
});
