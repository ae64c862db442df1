import { createFixtureWorkspace, type FixtureWorkspace } from '@taskforge/testing';

jest.setTimeout(10 * 60 * 1000);

/**
 * Before a run the plugin asks the engine which images it holds and hands the
 * answer to the image tasks as TASKFORGE_IMAGE_<PROJECT> variables (a fresh
 * `missing-...` value for an image the engine lacks). A run without image
 * tasks must not ask: with the engine unreachable (DOCKER_HOST names a socket
 * that does not exist) a plain library task runs as if no engine were
 * configured, while a run with an image task still asks.
 */
describe('only runs with image tasks ask the engine', () => {
  let fixture: FixtureWorkspace;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    fixture = createFixtureWorkspace();
    env = { DOCKER_HOST: `unix://${fixture.root}/no-engine-here.sock` };
    // What a task gets from the plugin's pre-run query: every variable it sets, or "none".
    fixture.write(
      'libs/some-lib/print-image-variables.js',
      "const found = Object.keys(process.env).filter((name) => name.startsWith('TASKFORGE_IMAGE_')).sort();\n" +
        "console.log(`image variables: ${found.map((name) => `${name}=${process.env[name]}`).join(' ') || 'none'}`);\n",
    );
    fixture.write(
      'libs/some-lib/project.json',
      JSON.stringify({ name: 'some-lib', targets: { check: { executor: 'nx:run-commands', options: { command: 'node libs/some-lib/print-image-variables.js' } } } }, null, 2),
    );
  });
  afterAll(() => fixture.remove());

  it('a library task runs without asking the engine', () => {
    const result = fixture.nx(['run', 'some-lib:check', '--output-style=static'], env);
    expect(result.code).toBe(0);
    expect(result.output).toContain('image variables: none');
    expect(result.output).not.toContain('Docker Engine not reachable');
  });

  it('a run with an image task asks it, and finds the image missing', () => {
    const result = fixture.nx(['run-many', '-t', 'build-image', 'check', '-p', 'fx-base', 'some-lib', '--output-style=static'], env);
    // build-image cannot reach the engine; the library task beside it shows what the pre-run query set.
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`Docker Engine not reachable at DOCKER_HOST=${env.DOCKER_HOST}`);
    expect(result.output).toMatch(/image variables: .*TASKFORGE_IMAGE_FX_BASE=missing-[0-9a-f-]{36}/);
  });
});
