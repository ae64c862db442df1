import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineClient, importRootfs, inspectLocalImage, removeImage } from '@taskforge/engine';
import { ensureEngine } from '@taskforge/engine-setup';
import { readImageDefinition } from '@taskforge/image-model';
import { buildRootfsTarball, tarballDigest } from '../src';

jest.setTimeout(10 * 60 * 1000);

const recipe = readImageDefinition(resolve(__dirname, '../../../images/python-runtime/image.json')).rootfs!;

describe('the Python runtime root filesystem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rootfs-repro-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is byte-for-byte identical across two builds, and that digest becomes the image layer', async () => {
    await ensureEngine();
    const first = join(dir, 'first.tar');
    const second = join(dir, 'second.tar');
    await buildRootfsTarball(recipe, first, () => undefined);
    await buildRootfsTarball(recipe, second, () => undefined);
    const digest = await tarballDigest(first);
    expect(await tarballDigest(second)).toBe(digest);

    const docker = engineClient();
    const reference = `rootfs-repro-check:${Date.now()}`;
    await importRootfs(docker, { tarball: first, reference, changes: ['CMD ["python3"]'] });
    try {
      expect((await inspectLocalImage(docker, reference))!.layers).toEqual([digest]);
    } finally {
      await removeImage(docker, reference, true);
    }
  });
});
