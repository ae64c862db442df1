import { engineFacts, inspectLocalImage, removeImage } from '@taskforge/engine';
import type { NestedEngineChoice } from '@taskforge/engine-setup';
import { engineForTests } from '@taskforge/testing';
import { enginesUnderTest, type EngineScenario, outcomes, registryDigest, startEngineScenario } from './engine-scenario';

// A nested engine's first start builds its root (about a minute per Debian suite, once per machine); the base's
// first build and its in-image tests take a minute or two on 2 cores.
jest.setTimeout(15 * 60 * 1000);

const print = (line: string) => console.log(`[engines] ${line}`);
/** The build's SOURCE_DATE_EPOCH: 2025-01-01T00:00:00Z. */
const SOURCE_DATE_EPOCH = 1735689600;

/** Docker 26.1 with the containerd store cannot build the base (see assertBuildsUploadedContext): it is refused. */
const refuses = (choice: NestedEngineChoice) => choice.engine === '26.1' && choice.store === 'containerd';
/** describe.each over the engines under test, or one skipped block when none of them is asked for. */
const eachEngine = (choices: NestedEngineChoice[]) => (choices.length ? describe.each(choices) : describe.skip.each([{ engine: 'none', store: 'none' } as unknown as NestedEngineChoice]));

eachEngine(enginesUnderTest().filter((choice) => !refuses(choice)))(
  'the base graph on Docker $engine with the $store image store',
  (choice: NestedEngineChoice) => {
    let scenario: EngineScenario;
    beforeAll(async () => {
      await engineForTests();
      scenario = await startEngineScenario(choice, print);
    });
    afterAll(async () => scenario?.remove());

    it('a fresh machine reuses the root image from the registry, builds the base with a start interval and SOURCE_DATE_EPOCH, and its tests pass', async () => {
      const run = scenario.nx(['run-many', '-t', 'build-image', 'test-image', '-p', 'python-runtime', 'agent-base', '--output-style=static'], { SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH) });
      expect(run.code).toBe(0);
      expect(outcomes(run.output)).toEqual({ 'python-runtime': 'reused from registry', 'agent-base': 'built' });
      expect(run.output).not.toMatch(/lacks HEALTHCHECK|SOURCE_DATE_EPOCH: Docker/);
      expect(run.output).toMatch(/\[agent-base\] +Ran \d+ tests in [\d.]+s\n\[agent-base\] +OK\n/);

      const base = await scenario.docker.getImage('openclaw-base:1.0.0').inspect();
      const healthcheck = base.Config.Healthcheck as { StartInterval?: number; Interval?: number };
      expect(healthcheck).toMatchObject({ Interval: 3e9, StartInterval: 250e6 });
      expect(new Date(base.Created).toISOString()).toBe(new Date(SOURCE_DATE_EPOCH * 1000).toISOString());
    });

    it('a second run builds nothing: the engine has both, then Nx replays', () => {
      const again = scenario.nx(['run-many', '-t', 'build-image', '-p', 'python-runtime', 'agent-base', '--output-style=static']);
      expect(again.code).toBe(0);
      expect(outcomes(again.output)).toEqual({ 'python-runtime': 'reused from engine', 'agent-base': 'reused from engine' });
      const settled = scenario.nx(['run-many', '-t', 'build-image', '-p', 'python-runtime', 'agent-base', '--output-style=static']);
      expect(settled.output).toContain('Nx read the output from the cache instead of running the command for 2 out of 2 tasks');
    });

    it('push-image prints the digest the registry stored, read back from the host', async () => {
      const push = scenario.nx(['run', 'agent-base:push-image', '--output-style=static']);
      expect(push.code).toBe(0);
      const printed = /\[agent-base\] digest (sha256:[0-9a-f]{64})/.exec(push.output)?.[1];
      expect(printed).toBeDefined();
      const commit = scenario.fixture.git(['rev-parse', 'HEAD']).stdout.trim();
      expect(await registryDigest(scenario.engine.registry, 'openclaw-base', `1.0.0-dev.${commit.slice(0, 7)}`)).toBe(printed);
      expect(await registryDigest(scenario.engine.registry, 'openclaw-base', `ck-${scenario.contentKey('agent-base')}`)).toBe(printed);
    });

    it('never replays an image the engine no longer has: it comes back from the registry, whatever the store calls its ID', async () => {
      const before = await inspectLocalImage(scenario.docker, 'openclaw-base:1.0.0');
      for (const tag of before!.repoTags) await removeImage(scenario.docker, tag, true);
      const after = scenario.nx(['run-many', '-t', 'build-image', '-p', 'python-runtime', 'agent-base', '--output-style=static']);
      expect(after.code).toBe(0);
      expect(outcomes(after.output)).toEqual({ 'python-runtime': 'reused from engine', 'agent-base': 'reused from registry' });
      const back = await inspectLocalImage(scenario.docker, 'openclaw-base:1.0.0');
      // The same image: its layers, and what the record calls it is what the engine calls it on this store.
      expect(back!.layers).toEqual(before!.layers);
      expect(scenario.fixture.record('agent-base')!.id).toBe(back!.id);
      expect((await engineFacts(scenario.docker)).imageStore).toBe(choice.store);
    });
  },
);

eachEngine(enginesUnderTest().filter(refuses))('Docker $engine with the $store image store', (choice: NestedEngineChoice) => {
  let scenario: EngineScenario;
  beforeAll(async () => {
    await engineForTests();
    scenario = await startEngineScenario(choice, print);
  });
  afterAll(async () => scenario?.remove());

  it('refuses the base build in one line with the fix (moby/moby#47717), after reusing the root image', () => {
    const run = scenario.nx(['run-many', '-t', 'build-image', '-p', 'python-runtime', 'agent-base', '--output-style=static']);
    expect(run.code).not.toBe(0);
    expect(outcomes(run.output)).toEqual({ 'python-runtime': 'reused from registry' });
    expect(run.output).toContain(
      `[agent-base] ERROR: agent-base: Docker ${scenario.engine.engineVersion} with the containerd image store cannot build from an uploaded context (moby/moby#47717, fixed in Docker 27.5): upgrade the engine to 27.5 or later`,
    );
    expect(run.output).not.toContain('load remote build context');
  });
});
