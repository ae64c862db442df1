import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createFixtureWorkspace, engineForTests, type FixtureWorkspace, NX_TEST_ENV, REPO_ROOT, removeImagesNamed } from '@taskforge/testing';
import { nodeBinary } from './node-binary';

// Installing a Node line's package (about 30 MB) happens once per machine.
jest.setTimeout(10 * 60 * 1000);

/** The repo's own tools, run by another Node binary, in `cwd`. */
function runWith(node: string, script: string, args: string[], cwd = REPO_ROOT) {
  const result = spawnSync(node, [join(REPO_ROOT, script), ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...NX_TEST_ENV }, maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

describe.each(['24', '26'])('Node %s', (line) => {
  let node: string;
  let fixture: FixtureWorkspace;
  beforeAll(async () => {
    await engineForTests();
    node = nodeBinary(line);
    fixture = createFixtureWorkspace();
  });
  afterAll(async () => {
    await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture.remove();
  });

  it('is the Node the rest runs on', () => {
    expect(spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout).toMatch(new RegExp(`^v${line}\\.\\d+\\.\\d+\\n$`));
  });

  // The contract corpus through a real fastify server stays with the main run: parsing is what differs by Node line.
  it('passes the unit suites of the image model, release, contract and task-image libraries', () => {
    const result = runWith(node, 'node_modules/jest/bin/jest.js', ['--ci', 'libs/image-model/test', 'libs/release/test', 'libs/agent-contract/test', 'libs/task-images/test', '--testNamePattern', '^(?!the control plane as fastify parses bodies)']);
    // On a failure, what failed: the inner run's failing tests, not only its exit code.
    const failures = result.output.split('\n').filter((line) => /^\s*(●|✕)/.test(line));
    expect({ code: result.code, failures }).toEqual({ code: 0, failures: [] });
    expect(result.output).toMatch(/^tests: [1-9]\d* passed, 0 failed(, \d+ skipped)?$/m);
  });

  it('reads the project graph: every image project with its FROM edges', () => {
    const result = runWith(node, 'node_modules/nx/dist/bin/nx.js', ['graph', '--file=stdout']);
    expect(result.code).toBe(0);
    const graph = JSON.parse(result.stdout) as { graph: { dependencies: Record<string, Array<{ target: string }>> } };
    expect(graph.graph.dependencies['agent-base'].map((edge) => edge.target)).toContain('python-runtime');
    expect(graph.graph.dependencies['agent-data-science'].map((edge) => edge.target)).toContain('agent-base');
  });

  it('builds an image through the plugin, and a second run reuses it', () => {
    const first = runWith(node, 'node_modules/nx/dist/bin/nx.js', ['run', 'fx-a:build-image', '--output-style=static'], fixture.root);
    expect(first.code).toBe(0);
    expect(first.output).toContain('[fx-a] built: ');
    const again = runWith(node, 'node_modules/nx/dist/bin/nx.js', ['run', 'fx-a:build-image', '--output-style=static', '--skip-nx-cache'], fixture.root);
    expect(again.output).toContain('[fx-a] reused from engine');
  });
});
