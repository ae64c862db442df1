import { engineClient, inspectLocalImage } from '@taskforge/engine';
import { createFixtureWorkspace, engineForTests, type FixtureWorkspace, readFileFromImage, removeImagesNamed } from '@taskforge/testing';

jest.setTimeout(5 * 60 * 1000);

const affected = (fixture: FixtureWorkspace) => {
  const result = fixture.nx(['show', 'projects', '--affected', '--base=HEAD', '--json']);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as string[]).sort();
};

const builtIn = (output: string) => [...output.matchAll(/\[(fx-\w+)\] built: /g)].map((m) => m[1]).sort();

describe('image graph builds against the real engine and registry', () => {
  let fixture: FixtureWorkspace;
  beforeAll(async () => {
    await engineForTests();
  });
  beforeEach(() => {
    fixture = createFixtureWorkspace({ git: true });
  });
  afterEach(async () => {
    await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture.remove();
  });

  it('maps changes to affected projects along FROM edges', () => {
    expect(affected(fixture)).toEqual([]);
    fixture.write('images/variants/a/a.txt', 'a v2\n');
    expect(affected(fixture)).toEqual(['fx-a']);
    fixture.git(['checkout', '--', '.']);
    fixture.write('images/base/base.txt', 'base v2\n');
    expect(affected(fixture)).toEqual(['fx-a', 'fx-b', 'fx-base']);
  });

  it('builds parents first, never rebuilds what it built, and a clean tree builds nothing', () => {
    const cold = fixture.nx(['run-many', '-t', 'build-image', '--output-style=static']);
    expect(cold.code).toBe(0);
    expect(builtIn(cold.output)).toEqual(['fx-a', 'fx-b', 'fx-base']);
    expect(cold.output.indexOf('[fx-base] built:')).toBeLessThan(cold.output.indexOf('[fx-a] built:'));
    expect(cold.output).toMatch(/Images:\n.*project.*tag.*\n(.*\n){3}/);

    const again = fixture.nx(['run-many', '-t', 'build-image', '--output-style=static']);
    expect(again.code).toBe(0);
    expect(builtIn(again.output)).toEqual([]);
    const settled = fixture.nx(['run-many', '-t', 'build-image', '--output-style=static']);
    expect(settled.output).toContain('Nx read the output from the cache instead of running the command for 3 out of 3 tasks');

    const clean = fixture.nx(['affected', '-t', 'build-image', '--base=HEAD', '--output-style=static']);
    expect(clean.code).toBe(0);
    expect(clean.output).toContain('No tasks were run');
  });

  it('keeps a change the build context ignores from running a docker build', () => {
    fixture.nx(['run-many', '-t', 'build-image']);
    fixture.nx(['run-many', '-t', 'build-image']);
    fixture.write('images/base/README.md', '# base\n\nNew docs only.\n');
    expect(affected(fixture)).toEqual(['fx-a', 'fx-b', 'fx-base']);
    const result = fixture.nx(['affected', '-t', 'build-image', '--base=HEAD', '--output-style=static']);
    expect(result.code).toBe(0);
    expect(builtIn(result.output)).toEqual([]);
    expect(result.output).toContain('Nx read the output from the cache instead of running the command for 3 out of 3 tasks');
  });

  it('rebuilds the base and every image built on it after a fix to the base, and they contain the new base', async () => {
    expect(fixture.nx(['run-many', '-t', 'build-image']).code).toBe(0);
    const oldA = fixture.record('fx-a')!;
    fixture.write('images/base/base.txt', 'base v2 (fixed)\n');
    const result = fixture.nx(['affected', '-t', 'build-image', '--base=HEAD', '--output-style=static']);
    expect(result.code).toBe(0);
    expect(builtIn(result.output)).toEqual(['fx-a', 'fx-b', 'fx-base']);
    expect(fixture.record('fx-a')!.id).not.toBe(oldA.id);
    for (const variant of ['a', 'b'] as const) {
      expect(await readFileFromImage(`${fixture.image(variant)}:1.0.0`, '/base.txt')).toBe('base v2 (fixed)\n');
    }
    const base = await inspectLocalImage(engineClient(), `${fixture.image('base')}:1.0.0`);
    const a = await inspectLocalImage(engineClient(), `${fixture.image('a')}:1.0.0`);
    expect(a!.layers.slice(0, base!.layers.length)).toEqual(base!.layers);
  });

  it('reuses by content tag: from the engine after `nx reset`, from the registry when the engine lost the image', async () => {
    const shared = fixture.nx(['run-many', '-t', 'build-image', 'share-image', '--output-style=static']);
    expect(shared.code).toBe(0);
    expect(shared.output).toMatch(new RegExp(`\\[fx-a\\] shared localhost:5000/${fixture.image('a')}:ck-[0-9a-f]{32} sha256:`));
    expect(fixture.nx(['run', 'fx-a:share-image', '--output-style=static']).output).toContain('[fx-a] already shared: ');
    const built = fixture.record('fx-a')!;

    // A fresh machine: no local image, but the Nx cache still says success. It must not be believed.
    await removeImagesNamed(fixture.image('a'));
    const fresh = fixture.nx(['run-many', '-t', 'build-image', '--output-style=static']);
    expect(fresh.code).toBe(0);
    expect(fresh.output).toContain('[fx-a] reused from registry');
    expect(builtIn(fresh.output)).toEqual([]);
    expect((await inspectLocalImage(engineClient(), `${fixture.image('a')}:1.0.0`))!.id).toBe(built.id);

    expect(fixture.nx(['reset']).code).toBe(0);
    const afterReset = fixture.nx(['run-many', '-t', 'build-image', '--output-style=static']);
    expect(afterReset.code).toBe(0);
    expect(builtIn(afterReset.output)).toEqual([]);
    expect(afterReset.output.match(/reused from engine: fx-/g)).toHaveLength(3);
  });
});
