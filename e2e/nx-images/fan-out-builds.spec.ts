import { createFixtureWorkspace, engineForTests, fanOutImages, type FixtureWorkspace, removeImagesNamed } from '@taskforge/testing';

jest.setTimeout(5 * 60 * 1000);

describe('a base with five variants', () => {
  let fixture: FixtureWorkspace;
  beforeAll(async () => {
    await engineForTests();
    fixture = createFixtureWorkspace({ git: true, images: fanOutImages(5) });
    expect(fixture.nx(['run-many', '-t', 'build-image']).code).toBe(0);
  });
  afterAll(async () => {
    await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture.remove();
  });

  it('after a change to the base, affected rebuilds the base first, then all five variants in parallel', () => {
    fixture.write('images/base/base.txt', 'base v2\n');
    const result = fixture.nx(['affected', '-t', 'build-image', '--base=HEAD', '--parallel=5', '--output-style=static']);
    expect(result.code).toBe(0);
    const variants = ['v1', 'v2', 'v3', 'v4', 'v5'].map((v) => fixture.record(`fx-${v}`) as unknown as { outcome: string; startedAt: string; finishedAt: string });
    const base = fixture.record('fx-base') as unknown as { outcome: string; finishedAt: string };
    expect([base, ...variants].map((r) => r.outcome)).toEqual(Array(6).fill('built'));
    for (const variant of variants) expect(Date.parse(variant.startedAt)).toBeGreaterThanOrEqual(Date.parse(base.finishedAt));
    // In parallel: some variant started before another had finished.
    const overlapping = variants.some((a) => variants.some((b) => a !== b && Date.parse(a.startedAt) < Date.parse(b.finishedAt) && Date.parse(b.startedAt) < Date.parse(a.finishedAt)));
    expect(overlapping).toBe(true);
    fixture.git(['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-qam', 'fix(base): v2']);
  });

  it('after a change to one variant, that variant alone', () => {
    fixture.write('images/variants/v3/v.txt', 'variant 3, changed\n');
    expect(fixture.nx(['show', 'projects', '--affected', '--base=HEAD', '--json']).stdout.trim()).toBe('["fx-v3"]');
    const result = fixture.nx(['affected', '-t', 'build-image', '--base=HEAD', '--output-style=static']);
    expect(result.code).toBe(0);
    expect([...result.output.matchAll(/\[(fx-\w+)\] built: /g)].map((m) => m[1])).toEqual(['fx-v3']);
  });
});
