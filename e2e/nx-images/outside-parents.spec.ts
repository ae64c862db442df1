import { buildImage, engineClient, inspectLocalImage, pushImage, removeImage, tagImage } from '@taskforge/engine';
import type { ImageRecord } from '@taskforge/image-build';
import { BASE_CONTENT_KEY_LABEL } from '@taskforge/image-model';
import {
  createFixtureWorkspace,
  engineForTests,
  type FixtureWorkspace,
  readFileFromImage,
  removeImagesNamed,
  type ScratchRegistry,
  startScratchRegistry,
} from '@taskforge/testing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Seven Nx runs in a row, each a few seconds alone; a machine busy with other builds can make them much slower.
jest.setTimeout(10 * 60 * 1000);

const builtIn = (output: string) => [...output.matchAll(/\[(fx-\w+)\] built: /g)].map((m) => m[1]).sort();

describe('an image FROM an outside registry is keyed by the digest of its tag', () => {
  let registry: ScratchRegistry;
  let registryDown = false;
  let fixture: FixtureWorkspace;
  const upstreamIds: string[] = [];
  const upstream = () => `${registry.address}/upstream:1`;

  /** Builds `upstream:1` with this content and pushes it to the test's registry, as its maintainers would; returns its image ID and digest. */
  async function publishUpstream(content: string): Promise<{ id: string; digest: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'upstream-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY upstream.txt /upstream.txt\n');
      writeFileSync(join(dir, 'upstream.txt'), content);
      const id = await buildImage(engineClient(), {
        contextDir: dir,
        files: ['Dockerfile', 'upstream.txt'],
        dockerfile: 'Dockerfile',
        tags: [upstream()],
        labels: {},
        buildArgs: {},
        displayName: 'upstream',
        print: () => undefined,
      });
      upstreamIds.push(id);
      return { id, digest: (await pushImage(engineClient(), upstream())).digest };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  beforeAll(async () => {
    await engineForTests();
    registry = await startScratchRegistry(5231);
    fixture = createFixtureWorkspace({
      images: [
        { dir: 'images/app', short: 'app', dockerfile: `FROM ${upstream()}\nCOPY app.txt /app.txt\n`, files: { 'app.txt': 'app\n' } },
        { dir: 'images/other', short: 'other', dockerfile: `FROM ${upstream()}\nCOPY other.txt /other.txt\n`, files: { 'other.txt': 'other\n' } },
        { dir: 'images/child', short: 'child', dockerfile: 'FROM {{image:app}}:1.0.0\nCOPY child.txt /child.txt\n', files: { 'child.txt': 'child\n' } },
      ],
    });
  });
  afterAll(async () => {
    await removeImagesNamed(`fx-${fixture.suffix}-`);
    // After the images built on them; the ID takes every tag and digest of the upstream images this test made.
    for (const id of upstreamIds) await removeImage(engineClient(), id, true).catch(() => false);
    // A registry stopped once is not stopped again: its server is gone (ScratchRegistry.stop waits for an exit that already happened).
    if (registryDown) rmSync(registry.dir, { recursive: true, force: true });
    else await registry.remove();
    fixture.remove();
  });

  it('rebuilds every image on it when the tag moves, on the new content, and says which base moved; without a registry the engine copy keys it', async () => {
    const v1 = await publishUpstream(`upstream v1 ${fixture.suffix}\n`);
    const first = fixture.nx(['run-many', '-t', 'build-image', '--output-style=static']);
    expect(first.code).toBe(0);
    expect(builtIn(first.output)).toEqual(['fx-app', 'fx-child', 'fx-other']);
    // The fixture's record type names only the fields every test reads; this one reads the outside digests too.
    const before = fixture.record('fx-app') as unknown as ImageRecord;
    expect(before.outsideImages?.[upstream()]).toMatchObject({ digest: v1.digest, source: 'registry' });

    const again = fixture.nx(['run-many', '-t', 'build-image', '--output-style=static']);
    expect(again.code).toBe(0);
    expect(builtIn(again.output)).toEqual([]);
    expect(again.output).not.toContain('outside base');

    // Upstream rebuilds the same tag. This engine keeps its old copy, as a machine that pulled v1 earlier would.
    const v2 = await publishUpstream(`upstream v2 ${fixture.suffix}\n`);
    await tagImage(engineClient(), v1.id, upstream());
    const moved = fixture.nx(['run-many', '-t', 'build-image', '--output-style=static']);
    expect(moved.code).toBe(0);
    expect(builtIn(moved.output)).toEqual(['fx-app', 'fx-child', 'fx-other']);
    expect(fixture.record('fx-app')!.contentKey).not.toBe(before.contentKey);
    expect(moved.output).toContain(`outside base ${upstream()} moved: ${v1.digest} -> ${v2.digest}; rebuilt ${fixture.image('app')}, ${fixture.image('other')}`);
    for (const image of ['app', 'other', 'child']) {
      expect(await readFileFromImage(`${fixture.image(image)}:1.0.0`, '/upstream.txt')).toBe(`upstream v2 ${fixture.suffix}\n`);
    }
    // The labels name each base as the key does: an outside one by the manifest digest its tag resolved to, a repo
    // image by its content key, with an empty digest (a digest would depend on what was pushed before, and the parent's own
    // would otherwise be inherited).
    const labels = async (image: string) => (await inspectLocalImage(engineClient(), `${fixture.image(image)}:1.0.0`))!.labels;
    expect(await labels('app')).toMatchObject({ 'org.opencontainers.image.base.name': upstream(), 'org.opencontainers.image.base.digest': v2.digest });
    const child = await labels('child');
    expect(child).toMatchObject({ 'org.opencontainers.image.base.name': `${fixture.image('app')}:1.0.0`, [BASE_CONTENT_KEY_LABEL]: fixture.record('fx-app')!.contentKey });
    expect(child['org.opencontainers.image.base.digest']).toBe('');

    const settled = fixture.nx(['run-many', '-t', 'build-image', '--output-style=static']);
    expect(builtIn(settled.output)).toEqual([]);
    expect(settled.output).not.toContain('outside base');

    // The registry is down: the engine's copy (pulled at v2 for the build) keys the image, so nothing is built.
    await registry.stop();
    registryDown = true;
    const offline = fixture.nx(['run', 'fx-app:build-image', '--skip-nx-cache', '--output-style=static']);
    expect(offline.code).toBe(0);
    expect(offline.output).toContain(`[fx-app] outside image ${upstream()}: no digest from its registry (`);
    expect(offline.output).toContain(`keyed by the engine's copy ${v2.digest}`);
    expect(offline.output).toContain('[fx-app] reused from engine');

    // Neither the registry nor the engine knows it: keyed by the reference, and the build's own pull says what is wrong.
    await removeImage(engineClient(), upstream(), true);
    const unknown = fixture.nx(['run', 'fx-app:build-image', '--skip-nx-cache', '--output-style=static']);
    expect(unknown.output).toContain(`[fx-app] outside image ${upstream()}: neither its registry nor the engine knows it`);
    expect(unknown.output).toContain('keyed by its reference, the build pulls it');
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toMatch(new RegExp(`\\[fx-app\\] ERROR: .*${registry.address}`));
    expect(await inspectLocalImage(engineClient(), `${fixture.image('app')}:1.0.0`)).toBeDefined();
  });
});
