import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileHashCache } from '../src';

describe('FileHashCache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashes-'));
  const store = join(dir, 'cache', 'hashes.json');

  it('recalls a hash while size and mtime are unchanged, re-reads after a change, and forgets files no longer used', () => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    writeFileSync(a, 'one');
    writeFileSync(b, 'bee');
    const first = new FileHashCache(store);
    const hashA = first.hash(a);
    first.hash(b);
    first.save();
    expect(Object.keys(JSON.parse(readFileSync(store, 'utf8')))).toEqual([a, b]);

    writeFileSync(a, 'two');
    utimesSync(a, new Date(), new Date(Date.now() + 5000));
    const second = new FileHashCache(store);
    expect(second.hash(a)).not.toBe(hashA);
    second.save();
    expect(Object.keys(JSON.parse(readFileSync(store, 'utf8')))).toEqual([a]);
  });

  it('treats an unreadable store as empty', () => {
    writeFileSync(store, '{ half a fi');
    expect(new FileHashCache(store).hash(join(dir, 'a.txt'))).toMatch(/^[0-9a-f]{64}$/);
  });
});
