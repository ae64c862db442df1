import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { registryCredentials } from '@taskforge/engine';
import { type AuthRegistry, engineForTests, startAuthRegistry } from '@taskforge/testing';
import { jobSteps } from './workflow-steps';

jest.setTimeout(120_000);

const CI = resolve(__dirname, '../../../.github/workflows/ci.yml');

/** The script of ci.yml's registry login step. */
function loginScript(): string {
  const login = jobSteps(readFileSync(CI, 'utf8'), 'affected').find((step) => step.run?.includes('docker login'));
  if (!login?.run) throw new Error('ci.yml has no docker login step');
  return login.run;
}

interface StepRun {
  code: number;
  output: string;
  /** What the step left in $GITHUB_ENV for the later steps. */
  githubEnv: string;
  runnerTemp: string;
}

/** Runs the login step's script as the runner does (bash -eo pipefail) with the step's environment. */
function runLoginStep(env: Record<string, string>): StepRun {
  const runnerTemp = mkdtempSync(join(tmpdir(), 'ci-runner-temp-'));
  const githubEnv = join(runnerTemp, 'github-env');
  writeFileSync(githubEnv, '');
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', loginScript()], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: process.env.DOCKER_HOST, RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv, ...env },
  });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}`, githubEnv: readFileSync(githubEnv, 'utf8'), runnerTemp };
}

describe("ci.yml's registry login step, run for real", () => {
  let registry: AuthRegistry;
  const temps: string[] = [];
  const run = (env: Record<string, string>) => {
    const result = runLoginStep(env);
    temps.push(result.runnerTemp);
    return result;
  };
  beforeAll(async () => {
    await engineForTests();
    registry = await startAuthRegistry(5223);
  });
  afterAll(async () => {
    await registry.stop();
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in to the host of IMAGE_REGISTRY (a namespace after it is fine) and hands the credentials to the plugin through DOCKER_CONFIG', () => {
    const result = run({ IMAGE_REGISTRY: `${registry.address}/agents`, IMAGE_REGISTRY_USERNAME: registry.user, IMAGE_REGISTRY_PASSWORD: registry.password });
    expect(result.code).toBe(0);
    expect(result.output).not.toContain(registry.password);
    const dockerConfig = /^DOCKER_CONFIG=(.+)$/m.exec(result.githubEnv)?.[1];
    expect(dockerConfig).toBe(join(result.runnerTemp, 'docker-config'));
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dockerConfig;
    try {
      expect(registryCredentials(registry.address)).toMatchObject({ username: registry.user, password: registry.password });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
    }
  });

  it('fails the job when the registry refuses the secrets, and hands nothing on', () => {
    const result = run({ IMAGE_REGISTRY: registry.address, IMAGE_REGISTRY_USERNAME: registry.user, IMAGE_REGISTRY_PASSWORD: 'not the password' });
    expect(result.code).not.toBe(0);
    expect(result.githubEnv).toBe('');
  });

  it.each([
    ['one secret of the two', { IMAGE_REGISTRY: 'localhost:5223', IMAGE_REGISTRY_USERNAME: 'ci-pusher' }, 'Set both secrets IMAGE_REGISTRY_USERNAME and IMAGE_REGISTRY_PASSWORD, or neither.'],
    ['secrets but no IMAGE_REGISTRY', { IMAGE_REGISTRY: '', IMAGE_REGISTRY_USERNAME: 'ci-pusher', IMAGE_REGISTRY_PASSWORD: 'x' }, 'the variable IMAGE_REGISTRY is empty'],
  ])('refuses %s with one error line, before any login', (_, env, message) => {
    const result = run(env);
    expect(result.code).toBe(1);
    const errors = result.output.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
    expect(result.output).not.toContain('Login');
    expect(result.githubEnv).toBe('');
  });
});
