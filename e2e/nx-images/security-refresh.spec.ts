import { engineClient, readImageFile } from '@taskforge/engine';
import { PACKAGE_RECORD_PATH } from '@taskforge/image-build';
import { createFixtureWorkspace, engineForTests, fixtureSigningEnv, type FixtureWorkspace, removeImagesNamed, repoImage, type ScratchRegistry, startScratchRegistry } from '@taskforge/testing';

jest.setTimeout(300_000);

/*
 * Debian's mirror cannot be made to move during a test. The stand-in is the
 * one thing a mirror update changes for a build: an uncached build records
 * package versions a cached one does not. This image records a package whose
 * "version" is the build's timestamp, so every uncached build resolves a new
 * one, and a cached build keeps the old one, as apt behind BuildKit's cache does.
 */
const MOVING_MIRROR = (runtime: string) =>
  [
    `FROM ${runtime}`,
    'RUN mkdir -p /usr/share/openclaw && { echo "libstable=2.0-1"; echo "libmoving=1.0+$(date +%s%N)"; } > /usr/share/openclaw/dpkg-versions.txt',
    'COPY tool.txt /tool.txt',
    '',
  ].join('\n');

describe('security refresh: a patch release of newer Debian packages with no commit in between', () => {
  let fixture: FixtureWorkspace;
  let registry: ScratchRegistry;

  beforeAll(async () => {
    await engineForTests();
    const runtime = await repoImage('python-runtime');
    registry = await startScratchRegistry(5072);
    fixture = createFixtureWorkspace({
      git: true,
      release: true,
      registry: registry.address,
      images: [{ dir: 'images/base', short: 'base', dockerfile: MOVING_MIRROR(runtime), files: { 'tool.txt': 'tool v1\n' } }],
    });
  });

  afterAll(async () => {
    await registry?.remove();
    if (fixture) await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture?.remove();
  });

  const recorded = async (tag: string) => (await readImageFile(engineClient(), `${registry.address}/${fixture.image('base')}:${tag}`, PACKAGE_RECORD_PATH))!;

  it('refresh-packages names what moved; `nx release patch` lists it in the changelog and publishes a build that resolved packages anew', async () => {
    fixture.write('images/base/tool.txt', 'tool v2\n');
    fixture.git(['commit', '-qam', 'feat(fx-base): tool v2']);
    expect(fixture.nx(['release', '--yes'], fixtureSigningEnv()).code).toBe(0);
    const first = await recorded('1.0.0');
    expect(first).toMatch(/^libstable=2\.0-1\nlibmoving=1\.0\+\d+\n$/);

    // A plain rebuild reuses the release (same content key): nothing new without a refresh.
    expect(fixture.nx(['run', 'fx-base:build-image', '--skip-nx-cache']).code).toBe(0);
    expect(fixture.record('fx-base')?.outcome).toBe('reused from engine');

    const refresh = fixture.nx(['run', 'fx-base:refresh-packages']);
    expect(refresh.code).toBe(0);
    const movedLine = refresh.output.split('\n').find((line) => line.includes('Debian packages moved since 1.0.0'));
    expect(movedLine).toMatch(/1 Debian packages moved since 1\.0\.0: libmoving 1\.0\+\d+ -> 1\.0\+\d+/);
    expect(fixture.git(['status', '--porcelain']).stdout).toBe(''); // the refresh itself changes no file in the repo

    const release = fixture.nx(['release', 'patch', '--projects=fx-base', '--yes'], fixtureSigningEnv());
    expect(release.code).toBe(0);
    expect(release.output).toContain('no source change since 1.0.0: building without BuildKit\'s cache');
    const changelog = fixture.read('images/base/CHANGELOG.md');
    expect(changelog).toMatch(/^## 1\.0\.1 [^\n]*\n\n### Debian packages\n\n1 package moved since the previous release:\n\n- `libmoving 1\.0\+\d+ -> 1\.0\+\d+`/);
    const refreshed = await recorded('1.0.1');
    expect(refreshed).toContain('libstable=2.0-1');
    expect(refreshed).not.toBe(first);
  });
});
