import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { engineClient, importRootfs, inspectLocalImage, removeImage } from '@taskforge/engine';
import { ensureEngine } from '@taskforge/engine-setup';
import { readImageDefinition } from '@taskforge/image-model';
import { buildRootfsTarball, tarballDigest } from '../src';

jest.setTimeout(10 * 60 * 1000);

const runtimeDir = resolve(__dirname, '../../../images/python-runtime');
const definition = readImageDefinition(join(runtimeDir, 'image.json'));
const recipe = definition.rootfs!;

/** The only layer of the repo's Python runtime image NAME:VERSION, if the engine holds one. */
async function repoRuntimeLayer(): Promise<string | undefined> {
  const version = readFileSync(join(runtimeDir, 'VERSION'), 'utf8').trim();
  return (await inspectLocalImage(engineClient(), `${definition.name}:${version}`))?.layers[0];
}

describe('the Python runtime root filesystem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rootfs-repro-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Two builds of the recipe must give the same bytes. The other build is the one `npm test` made of the repo's
  // image minutes before (build-image imports the tarball as the image's only layer); when the engine has none,
  // or its layer differs (an older recipe, or Debian's mirror moved since: a dev engine's image may be weeks
  // old), it is a second build here.
  it('is byte-for-byte identical across two builds, and that digest becomes the image layer', async () => {
    await ensureEngine();
    const first = join(dir, 'first.tar');
    await buildRootfsTarball(recipe, first, () => undefined);
    const digest = await tarballDigest(first);
    const repoLayer = await repoRuntimeLayer();
    console.log(`[rootfs test] this build ${digest}; the repo's runtime image ${repoLayer ?? 'absent'}${repoLayer === digest ? ': the same bytes' : ': building again'}`);
    if (repoLayer !== digest) {
      const second = join(dir, 'second.tar');
      await buildRootfsTarball(recipe, second, () => undefined);
      expect(await tarballDigest(second)).toBe(digest);
    }

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
