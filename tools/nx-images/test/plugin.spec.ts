import { AggregateCreateNodesError, type CreateNodesContext, type CreateDependenciesContext, type ProjectConfiguration } from '@nx/devkit';
import { createDependencies, createNodes } from '../src';
import { loadImageSet, resolveImageSettings } from '@taskforge/image-build';
import { createFixtureWorkspace, type FixtureWorkspace } from '@taskforge/testing';

const files = ['images/base/image.json', 'images/variants/a/image.json', 'images/variants/b/image.json'];
const options = { registry: 'localhost:5000', inRepoPrefixes: ['fx-'] };

async function inferProjects(fixture: FixtureWorkspace): Promise<Record<string, ProjectConfiguration>> {
  const context = { workspaceRoot: fixture.root, nxJsonConfiguration: {} } as CreateNodesContext;
  const results = await createNodes[1](files, options, context);
  const projects: Record<string, ProjectConfiguration> = {};
  for (const [, result] of results) {
    for (const [root, project] of Object.entries(result.projects ?? {})) projects[project.name!] = { ...project, root } as ProjectConfiguration;
  }
  return projects;
}

describe('nx-images plugin', () => {
  let fixture: FixtureWorkspace;
  beforeEach(() => {
    fixture = createFixtureWorkspace();
  });
  afterEach(() => fixture.remove());

  it('infers one project per image.json with build, test, push, release and supply-chain targets', async () => {
    const projects = await inferProjects(fixture);
    expect(Object.keys(projects).sort()).toEqual(['fx-a', 'fx-b', 'fx-base']);
    const base = projects['fx-base'];
    expect(base.root).toBe('images/base');
    expect(Object.keys(base.targets!).sort()).toEqual([
      'build-image',
      'nx-release-publish',
      'push-image',
      'refresh-packages',
      'release-changelog',
      'release-tag',
      'release-version',
      'sbom',
      'scan',
      'share-image',
      'test-image',
      'verify-image',
    ]);
    // Publishing follows the FROM edges: parents publish first.
    expect(base.targets!['nx-release-publish'].dependsOn).toEqual(['^nx-release-publish']);
    const build = base.targets!['build-image'];
    expect(build.dependsOn).toEqual(['^build-image']);
    expect(build.cache).toBe(true);
    expect(build.metadata?.description).toContain(`${fixture.image('base')}:1.0.0`);
    expect(base.targets!['push-image'].cache).toBe(false);
  });

  it('takes as cache inputs exactly the build context .dockerignore lets through, the definition and VERSION', async () => {
    const base = (await inferProjects(fixture))['fx-base'];
    expect(base.namedInputs!['image-content']).toEqual([
      '{projectRoot}/image.json',
      '{projectRoot}/VERSION',
      '{projectRoot}/.dockerignore',
      '{projectRoot}/Dockerfile',
      '{projectRoot}/base.txt',
    ]);
    expect(base.namedInputs!['image-content']).not.toContain('{projectRoot}/README.md');
    const inputs = base.targets!['build-image'].inputs!;
    expect(inputs.slice(0, 2)).toEqual(['image-content', '^image-content']);
    expect(inputs[2]).toEqual({ env: 'TASKFORGE_IMAGE_FX_BASE' });
  });

  it("puts the parent's identity into a child's content key, and nothing the build context ignores", () => {
    const keyOf = (project: string) => loadImageSet(fixture.root, files, resolveImageSettings(options)).keys.get(project);
    const before = keyOf('fx-a');
    fixture.write('images/base/base.txt', 'base v2\n');
    const after = keyOf('fx-a');
    expect(after).not.toEqual(before);
    fixture.write('images/base/README.md', 'only docs changed\n');
    expect(keyOf('fx-a')).toEqual(after);
    expect(keyOf('fx-base')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('draws edges from FROM (ARG default included) and not from stage names', async () => {
    const projects = await inferProjects(fixture);
    const context = { workspaceRoot: fixture.root, projects, nxJsonConfiguration: {} } as unknown as CreateDependenciesContext;
    const edges = (await createDependencies(options, context)).map((d) => `${d.source}->${d.target}`).sort();
    expect(edges).toEqual(['fx-a->fx-base', 'fx-b->fx-base']);
  });

  it('draws an edge for COPY --from an in-repo image', async () => {
    fixture.write('images/variants/b/Dockerfile', `FROM scratch\nCOPY --from=${fixture.image('a')}:1.0.0 /a.txt /a.txt\n`);
    const projects = await inferProjects(fixture);
    const context = { workspaceRoot: fixture.root, projects, nxJsonConfiguration: {} } as unknown as CreateDependenciesContext;
    const edges = (await createDependencies(options, context)).map((d) => `${d.source}->${d.target}`).sort();
    expect(edges).toEqual(['fx-a->fx-base', 'fx-b->fx-a']);
  });

  it('fails a FROM naming no image of the repo at graph time, and still gives Nx every image and the other edges', async () => {
    fixture.write('images/variants/a/Dockerfile', `FROM ${fixture.image('bsae')}:1.0.0\nCOPY a.txt /a.txt\n`);
    const context = { workspaceRoot: fixture.root, nxJsonConfiguration: {} } as CreateNodesContext;
    const failure = await Promise.resolve(createNodes[1](files, options, context)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AggregateCreateNodesError);
    const { errors, partialResults } = failure as AggregateCreateNodesError;
    expect(errors.map(([, error]) => error.message)).toEqual([
      `images/variants/a/Dockerfile:1: FROM ${fixture.image('bsae')}:1.0.0 names no image of this repo; did you mean ${fixture.image('base')}? Known images: ${fixture.image('base')}, ${fixture.image('b')}. Fix the name, or add that image under images/.`,
    ]);
    expect(partialResults.map(([file]) => file)).toEqual(files);
    const projects: Record<string, ProjectConfiguration> = {};
    for (const [, result] of partialResults) {
      for (const [root, project] of Object.entries(result.projects ?? {})) projects[project.name!] = { ...project, root } as ProjectConfiguration;
    }
    const dependencies = { workspaceRoot: fixture.root, projects, nxJsonConfiguration: {} } as unknown as CreateDependenciesContext;
    expect((await createDependencies(options, dependencies)).map((d) => `${d.source}->${d.target}`)).toEqual(['fx-b->fx-base']);
  });

  it('shows the graph edges in `nx graph --file`', () => {
    const result = fixture.nx(['graph', '--file=graph.json']);
    expect(result.code).toBe(0);
    const graph = JSON.parse(fixture.read('graph.json')).graph;
    expect(graph.dependencies['fx-a']).toEqual([expect.objectContaining({ source: 'fx-a', target: 'fx-base', type: 'static' })]);
    expect(graph.dependencies['fx-base']).toEqual([]);
  });

  it('fails a bad definition with the file, the field and what was expected, without a stack trace', () => {
    fixture.write('images/variants/a/image.json', JSON.stringify({ name: 'Bad Name', description: 'x' }));
    const result = fixture.nx(['show', 'projects']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('images/variants/a/image.json: field "name": a lowercase image name such as "openclaw-base" (got "Bad Name")');
    expect(result.output).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('fails a VERSION that is not semver with the file and the fix', () => {
    fixture.write('images/base/VERSION', 'one\n');
    const result = fixture.nx(['show', 'projects']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('images/base/VERSION: "one" is not a semantic version; write one such as 1.0.0.');
  });
});
