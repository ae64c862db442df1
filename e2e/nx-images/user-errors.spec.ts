import { createFixtureWorkspace, engineForTests, type FixtureWorkspace, removeImagesNamed, repoImage } from '@taskforge/testing';

jest.setTimeout(10 * 60 * 1000);

/** The line the executor reports an error with; there must be one and no stack trace around it. */
function errorLine(output: string): string {
  expect(output).not.toMatch(/\n\s+at .+:\d+:\d+/);
  const lines = output.split('\n').filter((line) => /^\[[\w-]+\] ERROR: /.test(line));
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('errors users will hit read as one line with the fix', () => {
  let fixture: FixtureWorkspace;
  let runtime: string;
  beforeAll(async () => {
    await engineForTests();
    runtime = await repoImage('python-runtime');
  });
  beforeEach(() => {
    fixture = createFixtureWorkspace();
  });
  afterEach(async () => {
    await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture.remove();
  });

  it('engine unreachable: names DOCKER_HOST and the start command', () => {
    const result = fixture.nx(['run', 'fx-base:build-image', '--output-style=static'], { DOCKER_HOST: 'unix:///tmp/no-engine-here.sock' });
    expect(result.code).not.toBe(0);
    const line = errorLine(result.output);
    expect(line).toContain('Docker Engine not reachable at DOCKER_HOST=unix:///tmp/no-engine-here.sock');
    expect(line).toContain('npm run engine:up');
  });

  it('registry unreachable: the build still works, the push says which registry and how to start it', () => {
    const env = { IMAGE_REGISTRY: 'localhost:5999' };
    const build = fixture.nx(['run', 'fx-base:build-image', '--output-style=static'], env);
    expect(build.code).toBe(0);
    expect(build.output).toContain('registry not consulted');
    const push = fixture.nx(['run', 'fx-base:push-image', '--output-style=static'], env);
    expect(push.code).not.toBe(0);
    const line = errorLine(push.output);
    expect(line).toContain('registry localhost:5999 is not reachable');
    expect(line).toContain('npm run engine:up');
  });

  it('failing Dockerfile step: shows the step and the last lines of its output', () => {
    fixture.write(
      'images/base/Dockerfile',
      `FROM ${runtime}\nRUN echo preparing && echo "config value missing" >&2 && exit 3\n`,
    );
    const result = fixture.nx(['run', 'fx-base:build-image', '--output-style=static']);
    expect(result.code).not.toBe(0);
    const line = errorLine(result.output);
    expect(line).toContain('build step `[2/2] RUN echo preparing && echo "config value missing" >&2 && exit 3` failed');
    expect(line).toContain('exit code: 3');
    const tail = result.output.slice(result.output.indexOf('last output of the failing step'));
    expect(tail).toContain('preparing');
    expect(tail).toContain('config value missing');
  });

  it('a FROM pinned to a version the repo no longer builds: says which version to use', () => {
    fixture.write('images/base/VERSION', '1.1.0\n');
    const result = fixture.nx(['run', 'fx-a:build-image', '--output-style=static']);
    expect(result.code).not.toBe(0);
    expect(errorLine(result.output)).toContain(`use ${fixture.image('base')}:1.1.0`);
  });
});
