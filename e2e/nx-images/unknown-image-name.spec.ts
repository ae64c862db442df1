import { createFixtureWorkspace, type CommandResult, type FixtureWorkspace } from '@taskforge/testing';

jest.setTimeout(10 * 60 * 1000);

/** The lines of Nx's output that name the misspelt image; a stack trace around them fails the test. */
function linesNaming(result: CommandResult, name: string): string[] {
  expect(result.output).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return result.output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.includes(name));
}

/**
 * A typo in a FROM (`fx-<suffix>-bsae` for `fx-<suffix>-base`) is a name that
 * looks like one of the workspace's images (prefix `fx-`) but names none. It
 * must stop every Nx command that reads the graph, so `nx affected` can never
 * silently leave that image out; the fixed name draws its edge again.
 */
describe('a FROM naming an in-repo image that does not exist', () => {
  let fixture: FixtureWorkspace;
  let typo: string;
  let expected: string;
  beforeAll(() => {
    fixture = createFixtureWorkspace({ git: true });
    typo = `${fixture.image('bsae')}:1.0.0`;
    expected = `- images/variants/b/Dockerfile:1: FROM ${typo} names no image of this repo; did you mean ${fixture.image('base')}? Known images: ${fixture.image('base')}, ${fixture.image('a')}. Fix the name, or add that image under images/.`;
    fixture.write('images/variants/b/Dockerfile', `FROM ${typo} AS base\nFROM base\nCOPY b.txt /b.txt\n`);
  });
  afterAll(() => fixture.remove());

  it('nx show projects fails with the Dockerfile line, the unknown name and the known images, closest first', () => {
    const result = fixture.nx(['show', 'projects']);
    expect(result.code).not.toBe(0);
    expect(linesNaming(result, typo)).toEqual([expected]);
  });

  it('nx graph reports the same line and draws no edge from the misspelt name', () => {
    const result = fixture.nx(['graph', '--file=graph.json']);
    expect(linesNaming(result, typo)).toContain(expected);
    // Nx 23 still writes the rest of the graph (its "partial graph") for viewing; the unknown name is no edge in it.
    expect(JSON.parse(fixture.read('graph.json')).graph.dependencies['fx-b']).toEqual([]);
  });

  it('nx affected fails instead of leaving the image out (the line is shown with --verbose)', () => {
    const result = fixture.nx(['show', 'projects', '--affected', '--base=main']);
    expect(result.code).not.toBe(0);
    const affected = fixture.nx(['affected', '-t', 'build-image', '--base=main', '--output-style=static']);
    expect(affected.code).not.toBe(0);
    expect(affected.output).toContain('Failed to process project graph');
    const verbose = fixture.nx(['affected', '-t', 'build-image', '--base=main', '--output-style=static', '--verbose']);
    expect(verbose.code).not.toBe(0);
    expect(verbose.output).toContain(expected.slice(2));
  });

  it('the corrected name works again: the projects, the edge and the affected image', () => {
    fixture.write('images/variants/b/Dockerfile', `FROM ${fixture.image('base')}:1.0.0 AS base\nFROM base\nCOPY b.txt /b.txt\n# the base, spelt right\n`);
    const projects = fixture.nx(['show', 'projects', '--affected', '--base=main']);
    expect(projects.code).toBe(0);
    expect(projects.stdout.trim().split('\n')).toEqual(['fx-b']);
    const graph = fixture.nx(['graph', '--file=graph.json']);
    expect(graph.code).toBe(0);
    expect(JSON.parse(fixture.read('graph.json')).graph.dependencies['fx-b']).toEqual([expect.objectContaining({ target: 'fx-base', type: 'static' })]);
  });
});
