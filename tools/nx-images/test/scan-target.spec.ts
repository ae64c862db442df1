import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFixtureWorkspace, readFileFromImage, REPO_ROOT, removeImagesNamed, repoImage, type FixtureWorkspace } from '@taskforge/testing';

// `nx run <image>:scan` end to end in a workspace of the test's own: an image FROM this repo's root image (real
// Debian packages), its SBOM read by the target from the built image, a tracker export written by the test
// against the versions that image really has, and the waiver file. The matching rules themselves are
// libs/vulnerability-scan's tests.
let fixture: FixtureWorkspace;
let glibc: string;
let python: string;
const image = () => fixture.image('base');

/** The source version dpkg records for a binary package (`Source: name (version)`, else the binary's own version). */
function sourceVersion(status: string, binary: string): string {
  const paragraph = status.split('\n\n').find((entry) => entry.startsWith(`Package: ${binary}\n`));
  if (!paragraph) throw new Error(`${binary} is not installed in the root image`);
  const source = /^Source: \S+ \((\S+)\)$/m.exec(paragraph);
  return source ? source[1] : /^Version: (\S+)$/m.exec(paragraph)![1];
}

function writeSettings(vulnerabilityDatabase: unknown): void {
  const nxJson = JSON.parse(fixture.read('nx.json'));
  nxJson.plugins[0].options.vulnerabilityDatabase = vulnerabilityDatabase;
  fixture.write('nx.json', JSON.stringify(nxJson, null, 2));
}

function writeWaivers(waivers: unknown[]): void {
  fixture.write('config/vulnerability-waivers.json', JSON.stringify({ waivers }, null, 2));
}

beforeAll(async () => {
  const root = await repoImage('python-runtime');
  const status = (await readFileFromImage(root, '/var/lib/dpkg/status'))!;
  glibc = sourceVersion(status, 'libc6');
  python = sourceVersion(status, 'libpython3.11-minimal');
  fixture = createFixtureWorkspace({ images: [{ dir: 'images/base', short: 'base', dockerfile: `FROM ${root}\nCOPY base.txt /base.txt\n`, files: { 'base.txt': 'base\n' } }] });
  fixture.write(
    'vendor/debian-security-tracker.json',
    JSON.stringify({
      glibc: {
        'CVE-2099-20001': { description: 'fixed after the installed version', releases: { bookworm: { status: 'resolved', fixed_version: `${glibc}+deb12u99`, urgency: 'high' } } },
        'CVE-2099-20002': { description: 'fixed in the installed version', releases: { bookworm: { status: 'resolved', fixed_version: glibc, urgency: 'high' } } },
      },
      'python3.11': { 'CVE-2099-20003': { description: 'no fix yet', releases: { bookworm: { status: 'open', urgency: 'high' } } } },
    }),
  );
  writeSettings({ format: 'debian-security-tracker', path: 'vendor/debian-security-tracker.json', release: 'bookworm', failOn: 'high' });
  writeWaivers([]);
}, 120_000);

afterAll(async () => {
  if (!fixture) return;
  await removeImagesNamed(`fx-${fixture.suffix}-`);
  fixture.remove();
});

describe('scan', () => {
  it('fails the image on a finding with a fix at failOn or above, one line naming it, and writes the verdict', () => {
    const result = fixture.nx(['run', 'fx-base:scan']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`[fx-base] ${image()}: glibc ${glibc} has CVE-2099-20001 (high), fixed in ${glibc}+deb12u99`);
    expect(result.stderr).toContain('[fx-base] ERROR: 1 finding with a fix at high or above stop the release; rebuild with the fixed packages (npx nx run fx-base:refresh-packages) or waive them in config/vulnerability-waivers.json');
    expect(result.output).not.toContain('CVE-2099-20002');
    expect(result.stdout).toMatch(/\[fx-base\] 2 findings \(2 high\), 1 without a fix yet, 0 waived/);

    const verdict = JSON.parse(fixture.read('dist/images/fx-base/vulnerability-verdict.json'));
    expect(verdict).toMatchObject({ image: image(), passed: false, failOn: 'high', database: { format: 'debian-security-tracker', release: 'bookworm' } });
    expect(verdict.findings.map((f: { id: string; package: string; installedVersion: string; fix: string }) => `${f.package} ${f.installedVersion} ${f.id} ${f.fix}`).sort()).toEqual([
      `glibc ${glibc} CVE-2099-20001 available`,
      `python3.11 ${python} CVE-2099-20003 none`,
    ]);
    // The SBOM came from the built image: every binary of glibc in it is named.
    expect(verdict.findings.find((f: { id: string }) => f.id === 'CVE-2099-20001').binaries).toContain('libc6');
  }, 300_000);

  it('lets a waived finding through until the waiver expires, then says it expired', () => {
    writeWaivers([{ id: 'CVE-2099-20001', image: image(), reason: 'the test waives it', expires: '2999-12-31' }]);
    const waived = fixture.nx(['run', 'fx-base:scan']);
    expect(waived.code).toBe(0);
    expect(waived.stdout).toContain(`[fx-base]   waived until 2999-12-31: glibc ${glibc} has CVE-2099-20001 (high): the test waives it`);
    expect(waived.stdout).toContain('[fx-base] passed: no finding with a fix at high or above');

    writeWaivers([{ id: 'CVE-2099-20001', image: 'fx-base', reason: 'the test waives it', expires: '2020-01-31' }]);
    const expired = fixture.nx(['run', 'fx-base:scan']);
    expect(expired.code).not.toBe(0);
    expect(expired.stderr).toContain(`${image()}: glibc ${glibc} has CVE-2099-20001 (high), fixed in ${glibc}+deb12u99 (its waiver expired on 2020-01-31)`);
    writeWaivers([]);
  }, 300_000);

  it('scans --sbom instead of the image, and --failOn overrides nx.json', () => {
    const sbom = join(REPO_ROOT, 'libs/vulnerability-scan/test/fixtures/sbom-bookworm.cdx.json');
    const result = fixture.nx(['run', 'fx-base:scan', `--sbom=${sbom}`, '--failOn=critical']);
    expect(result.code).toBe(0);
    // The fixture SBOM's glibc is 2.36-9+deb12u3; nothing in the test's tracker is fixed above it at critical.
    expect(JSON.parse(readFileSync(join(fixture.root, 'dist/images/fx-base/vulnerability-verdict.json'), 'utf8'))).toMatchObject({ passed: true, failOn: 'critical' });
  }, 300_000);

  it('says in one line what is wrong with the settings or the files they name', () => {
    writeSettings({ format: 'debian-security-tracker', path: 'vendor/debian-security-tracker.json', failOn: 'severe' });
    const badOption = fixture.nx(['run', 'fx-base:scan']);
    expect(badOption.code).not.toBe(0);
    expect(badOption.stderr).toContain(
      '[fx-base] ERROR: nx.json: field plugins["@taskforge/nx-images"].options.vulnerabilityDatabase.failOn: Invalid option: expected one of "low"|"medium"|"high"|"critical" (got "severe");',
    );

    writeSettings({ format: 'debian-security-tracker', path: 'vendor/debian-security-tracker.json' });
    fixture.write('config/vulnerability-waivers.json', JSON.stringify({ waivers: [{ id: 'CVE-2099-20001', image: image(), reason: 'x', expires: 'next week' }] }));
    const badWaiver = fixture.nx(['run', 'fx-base:scan']);
    expect(badWaiver.stderr).toContain(
      '[fx-base] ERROR: config/vulnerability-waivers.json: field waivers[0].expires: expected a date as YYYY-MM-DD (got "next week"); see libs/vulnerability-scan/waivers.schema.json.',
    );
    writeWaivers([]);

    writeSettings(undefined);
    const missing = fixture.nx(['run', 'fx-base:scan']);
    expect(missing.stderr).toContain('[fx-base] ERROR: nx.json: the @taskforge/nx-images plugin has no "vulnerabilityDatabase" option; add one to its options, e.g. {');
    // No stack trace for a user's mistake.
    expect(missing.output).not.toMatch(/\n\s+at /);
  }, 300_000);
});
