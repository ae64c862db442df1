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
 * dpkg records it too (a status.d entry, as distroless images keep theirs), so
 * the SBOM and the vulnerability scan see the package move.
 */
const MOVING_MIRROR = (runtime: string) =>
  [
    `FROM ${runtime}`,
    'RUN mkdir -p /usr/share/openclaw /var/lib/dpkg/status.d && version="1.0+$(date +%s%N)" \\',
    '  && { echo "libstable=2.0-1"; echo "libmoving=$version"; } > /usr/share/openclaw/dpkg-versions.txt \\',
    '  && printf "Package: libmoving\\nStatus: install ok installed\\nVersion: %s\\nArchitecture: all\\n" "$version" > /var/lib/dpkg/status.d/libmoving',
    'COPY tool.txt /tool.txt',
    '',
  ].join('\n');

/** A Debian Security Tracker export with one high finding in libmoving, fixed in the version just after `installed`. */
function trackerFixedAfter(installed: string): string {
  return JSON.stringify({
    libmoving: { 'CVE-2099-30001': { description: 'fixed by the next mirror update', releases: { bookworm: { status: 'resolved', fixed_version: `${installed}.1`, urgency: 'high' } } } },
  });
}

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

  it('refresh-packages names what moved and the findings it fixes; `nx release patch` lists it in the changelog and publishes a build that resolved packages anew', async () => {
    fixture.write('images/base/tool.txt', 'tool v2\n');
    fixture.git(['commit', '-qam', 'feat(fx-base): tool v2']);
    expect(fixture.nx(['release', '--yes'], fixtureSigningEnv()).code).toBe(0);
    const first = await recorded('1.0.0');
    expect(first).toMatch(/^libstable=2\.0-1\nlibmoving=1\.0\+\d+\n$/);
    const released = /libmoving=(\S+)/.exec(first)![1];

    // The team turns the vulnerability gate on after 1.0.0; the database knows a fix newer than what 1.0.0 has.
    fixture.write('vendor/debian-security-tracker.json', trackerFixedAfter(released));
    const nxJson = JSON.parse(fixture.read('nx.json'));
    nxJson.plugins[0].options.vulnerabilityDatabase = { format: 'debian-security-tracker', path: 'vendor/debian-security-tracker.json', release: 'bookworm', failOn: 'high' };
    fixture.write('nx.json', JSON.stringify(nxJson, null, 2));
    fixture.write('config/vulnerability-waivers.json', JSON.stringify({ waivers: [] }));
    fixture.git(['add', '-A']);
    fixture.git(['commit', '-qm', 'chore: vulnerability gate against the tracker export']);
    const scan = fixture.nx(['run', 'fx-base:scan']);
    expect(scan.code).not.toBe(0);
    expect(scan.output).toContain(`libmoving ${released}`);

    // A plain rebuild reuses the release (same content key): nothing new without a refresh.
    expect(fixture.nx(['run', 'fx-base:build-image', '--skip-nx-cache']).code).toBe(0);
    expect(fixture.record('fx-base')?.outcome).toBe('reused from engine');

    const refresh = fixture.nx(['run', 'fx-base:refresh-packages']);
    expect(refresh.code).toBe(0);
    const movedLine = refresh.output.split('\n').find((line) => line.includes('Debian packages moved since 1.0.0'));
    expect(movedLine).toMatch(/1 Debian packages moved since 1\.0\.0: libmoving 1\.0\+\d+ -> 1\.0\+\d+/);
    expect(fixture.git(['status', '--porcelain']).stdout).toBe(''); // the refresh itself changes no file in the repo
    // ...and says which findings of the release it fixes, and that the refreshed build passes the gate.
    const lines = refresh.output.split('\n').map((line) => line.trim());
    expect(lines.find((line) => line.includes('the refresh fixes'))).toMatch(/the refresh fixes 1 finding of \S+:1\.0\.0 \(vendor\/debian-security-tracker\.json of .+\):$/);
    expect(lines).toContainEqual(expect.stringContaining(`libmoving ${released}: CVE-2099-30001 (high), fixed in ${released}.1`));
    expect(lines).toContainEqual(expect.stringContaining('the refreshed build passes the vulnerability gate (high)'));

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
