import { engineClient, engineFacts, hasStartInterval, inspectLocalImage } from '@taskforge/engine';
import { contentKeys, engineLacks, ensureImage, loadImageSet, resolveImageSettings } from '@taskforge/image-build';
import { createFixtureWorkspace, engineForTests, type FixtureWorkspace, removeImagesNamed } from '@taskforge/testing';

jest.setTimeout(5 * 60 * 1000);

// HEALTHCHECK --start-interval came with Docker 25 (API 1.44); the built-in frontend of Docker 20.10 stops at it with
// "Unknown flag: start-interval". On such an engine the build takes the flag out, says so in one line, and keys the
// image (and everything built on it) apart from the full one, which a newer engine builds and reuses.
describe('a Dockerfile feature the engine lacks', () => {
  let fixture: FixtureWorkspace;
  beforeAll(async () => {
    await engineForTests();
    fixture = createFixtureWorkspace({
      images: [
        {
          dir: 'images/base',
          short: 'base',
          dockerfile: 'FROM scratch\nCOPY base.txt /base.txt\nHEALTHCHECK --interval=3s --start-period=5s --start-interval=250ms --retries=2 CMD ["/check"]\n',
          files: { 'base.txt': 'base v1\n' },
        },
        { dir: 'images/variants/a', short: 'a', dockerfile: 'FROM {{image:base}}:1.0.0\nCOPY a.txt /a.txt\n', files: { 'a.txt': 'a v1\n' } },
      ],
    });
  });
  afterAll(async () => {
    await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture.remove();
  });

  it('is built without on an engine that lacks it, in one line, under its own keys; with it where the engine has it', async () => {
    const docker = engineClient();
    const facts = await engineFacts(docker);
    const result = fixture.nx(['run-many', '-t', 'build-image', '--output-style=static']);
    expect(result.code).toBe(0);
    const base = await inspectLocalImage(docker, `${fixture.image('base')}:1.0.0`);
    const healthcheck = (await docker.getImage(`${fixture.image('base')}:1.0.0`).inspect()).Config.Healthcheck as { StartInterval?: number; Interval?: number };
    expect(base).toBeDefined();
    expect(healthcheck.Interval).toBe(3e9);

    const set = (lacks: Awaited<ReturnType<typeof engineLacks>>) =>
      loadImageSet(fixture.root, ['images/base/image.json', 'images/variants/a/image.json'], resolveImageSettings({ registry: 'localhost:5000', inRepoPrefixes: ['fx-'] }), { engineLacks: lacks }).keys;
    const full = set([]);
    const without = set(['healthcheck-start-interval']);
    expect(without.get('fx-base')).not.toBe(full.get('fx-base'));
    expect(without.get('fx-a')).not.toBe(full.get('fx-a'));

    if (hasStartInterval(facts)) {
      expect(healthcheck.StartInterval).toBe(250e6);
      expect(result.output).not.toContain('lacks');
      expect(fixture.record('fx-base')!.contentKey).toBe(full.get('fx-base'));
    } else {
      expect(healthcheck.StartInterval ?? 0).toBe(0);
      expect(result.output).toContain(
        `[fx-base] Docker ${facts.version} lacks HEALTHCHECK --start-interval (Docker 25 and later): built without it, so its first health check runs one --interval after start`,
      );
      expect(result.output.match(/ lacks HEALTHCHECK/g)).toHaveLength(1);
      expect(fixture.record('fx-base')!.contentKey).toBe(without.get('fx-base'));
      expect(fixture.record('fx-a')!.contentKey).toBe(without.get('fx-a'));
    }
  });

  it('refuses to build when the keys were computed for another engine than the one that builds', async () => {
    const docker = engineClient();
    const lacks = await engineLacks(docker);
    const wrong = lacks.length ? [] : (['healthcheck-start-interval'] as const);
    const settings = resolveImageSettings({ registry: 'localhost:5000', inRepoPrefixes: ['fx-'] });
    const stale = loadImageSet(fixture.root, ['images/base/image.json'], settings, { engineLacks: [...wrong] });
    // A content key nobody built: the step goes on to build, where the check stands.
    fixture.write('images/base/base.txt', `base ${Date.now()}\n`);
    const changed = { ...stale, keys: contentKeys(fixture.root, stale.workspace, undefined, undefined, undefined, [...wrong]) };
    await expect(ensureImage(docker, { ...changed, project: 'fx-base', print: () => undefined })).rejects.toThrow(
      /^fx-base: its content key was computed for an engine (with|without) healthcheck-start-interval, and the engine at \S+ is not one: run the build through Nx \(`npx nx run fx-base:build-image`\), which asks the engine before it computes the keys\.$/,
    );
  });
});
