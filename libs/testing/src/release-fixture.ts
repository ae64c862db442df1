import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { registryAnswers } from '@taskforge/engine-setup';
import { engineForTests, removeImagesNamed } from './engine-images';
import { type CommandResult, createFixtureWorkspace, type FixtureImage, type FixtureWorkspace, NX_TEST_ENV, REPO_ROOT } from './fixture-workspace';
import { repoImage } from './repo-images';
import { type ScratchRegistry, startScratchRegistry, tagDigest } from './scratch-registry';

/** The release fixture's images by short name: the base, then the variants built FROM it (see releaseImages). */
export const RELEASE_IMAGES = ['base', 'a', 'b'];
export const RELEASE_VARIANTS = ['a', 'b'];

/**
 * createFixtureWorkspace's standard base and two variants (one FROM it through an ARG default, one through a named
 * stage), but with the base FROM the repo's Python runtime rather than scratch: publish makes every image's SBOM by
 * running the image's own python3, and the runtime's Debian packages give the vulnerability gate something to find.
 */
export async function releaseImages(): Promise<FixtureImage[]> {
  const runtime = await repoImage('python-runtime');
  return [
    { dir: 'images/base', short: 'base', dockerfile: `FROM ${runtime}\nCOPY base.txt /base.txt\n`, files: { 'base.txt': 'base v1\n' } },
    { dir: 'images/variants/a', short: 'a', dockerfile: 'ARG BASE={{image:base}}:1.0.0\nFROM ${BASE}\nCOPY a.txt /a.txt\n', files: { 'a.txt': 'a v1\n' } },
    { dir: 'images/variants/b', short: 'b', dockerfile: 'FROM {{image:base}}:1.0.0 AS base\nFROM base\nCOPY b.txt /b.txt\n', files: { 'b.txt': 'b v1\n' } },
  ];
}

let signingKeyPair: { privateKey: string; publicKey: string } | undefined;

/**
 * The signing key pair every fixture release signs with (a release without a key publishes nothing): ECDSA P-256 as
 * PEM, made once per test process. Verify with its publicKey (IMAGE_SIGNING_PUBLIC_KEY).
 */
export function fixtureSigningKey(): { privateKey: string; publicKey: string } {
  signingKeyPair ??= generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return signingKeyPair;
}

/**
 * The environment that gives an Nx run in a fixture the fixture's signing key (and its public key, for verify-image),
 * whatever key the developer's own environment names: for fixture.nx runs that publish or verify.
 */
export function fixtureSigningEnv(): NodeJS.ProcessEnv {
  const { privateKey, publicKey } = fixtureSigningKey();
  return { IMAGE_SIGNING_KEY: privateKey, IMAGE_SIGNING_KEY_FILE: undefined, IMAGE_SIGNING_PUBLIC_KEY: publicKey, IMAGE_SIGNING_PUBLIC_KEY_FILE: undefined };
}

/**
 * How far the fixture is released when a scenario starts. Every image's VERSION says 1.0.0 from the start.
 * - `'tags'`: 1.0.0 released in git only: each image's annotated release tag (`fx-<short>-v1.0.0`, message = tag,
 *   as `nx release` and the `release-tag` target make it) on the fixture's commit; no changelog, nothing built or pushed.
 *   Enough for a scenario that reads the released versions from git and asserts nothing about the registry.
 * - `'published'`: `'tags'`, then a real `nx release publish` (of `publish`, default every image; a project's
 *   parents publish first, as the target depends on theirs): built, checked and pushed as 1.0.0, 1.0, 1 and latest.
 * - `'full'`: a real first `nx release --yes` after `feat(fx-base): base v2`, as the first-release scenario runs it:
 *   a release commit with every image's CHANGELOG.md, the tags, every image published. The costliest: for
 *   scenarios that read what the first release wrote to the repository (its changelog entries).
 */
export type FirstRelease = 'tags' | 'published' | 'full';

export interface ReleaseFixtureOptions {
  /**
   * Port of the scenario's own scratch registry: one per scenario (scenarios of a file may run at the same time),
   * and none another test uses (grep the repo for the port first).
   */
  registryPort: number;
  /** Omitted: never released. */
  released?: FirstRelease;
  /** With `released: 'published'`: the projects to publish (`fx-<short>`); every image when omitted. */
  publish?: string[];
}

export interface ReleaseFixture {
  /** A git repository of its own: the standard base and two variants, the repo's plugin and `nx release` configuration. */
  fixture: FixtureWorkspace;
  /** The registry the fixture publishes to, empty unless `released` published. */
  registry: ScratchRegistry;
  /** A fixture image's name (`fx-<suffix>-<short>`), which is also its repository in the registry. */
  repository(short: string): string;
  /** The digest `repository(short):tag` points to in the registry, or undefined. */
  digest(short: string, tag: string): Promise<string | undefined>;
  /** Stops and deletes the registry, removes the fixture's images from the engine and deletes the workspace. */
  remove(): Promise<void>;
}

/** A fixture image's folder in the workspace. */
export function imageDir(short: string): string {
  return short === 'base' ? 'images/base' : `images/variants/${short}`;
}

/** The version in an image's VERSION file. */
export function versionOf(fixture: FixtureWorkspace, short: string): string {
  return fixture.read(`${imageDir(short)}/VERSION`).trim();
}

/** Every tag in the fixture's repository, sorted. */
export function tags(fixture: FixtureWorkspace): string[] {
  return fixture.git(['tag', '--list']).stdout.split('\n').filter(Boolean).sort();
}

/** The commit HEAD points to. */
export function head(fixture: FixtureWorkspace): string {
  return fixture.git(['rev-parse', 'HEAD']).stdout.trim();
}

/** Writes the files and commits every change with `message`; throws when git refuses. */
export function commit(fixture: FixtureWorkspace, message: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) fixture.write(path, content);
  fixture.git(['add', '-A']);
  const result = fixture.git(['commit', '-qm', message]);
  if (result.code !== 0) throw new Error(result.output);
}

/**
 * Runs `nx release ...args` in the fixture as fixture.nx runs Nx (this repo's Nx; no daemon, TUI, cloud or colour),
 * but without blocking, so that scenarios in one file can run at the same time. The run signs with the fixture's
 * key (fixtureSigningEnv); `env` overrides it (a variable set to undefined is removed). With RELEASE_TEST_LOG set,
 * appends the output to that file.
 */
export function release(fixture: FixtureWorkspace, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  return runRelease(fixture, args, env, false);
}

async function runRelease(fixture: FixtureWorkspace, args: string[], env: NodeJS.ProcessEnv, setup: boolean): Promise<CommandResult> {
  const result = await new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js'), 'release', ...args], {
      cwd: fixture.root,
      // spawn leaves out variables whose value is undefined.
      env: { ...process.env, ...NX_TEST_ENV, ...fixtureSigningEnv(), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, output: `${stdout}${stderr}` }));
  });
  if (process.env.RELEASE_TEST_LOG) {
    const title = `${setup ? 'setup: ' : ''}nx release ${args.join(' ')}`;
    appendFileSync(process.env.RELEASE_TEST_LOG, `\n===== ${fixture.root}: ${title} (exit ${result.code})\n${result.output}`);
  }
  return result;
}

/** The single NX error line of a failed command (the title Nx prints for a thrown error or a failed task). */
export function errorLines(result: CommandResult): string[] {
  return result.output.split('\n').filter((line) => /ERROR:|^\s*NX\s{2,}/.test(line) && !/Running|Successfully|Previewing|Generating|Staging|Committing|Tagging|Skipped|Ran target/.test(line));
}

/**
 * Setup runs Nx with the plugin loaded in Nx's own process (NX_ISOLATE_PLUGINS=false) rather than in a plugin worker:
 * the same plugin, executors and results, at about 60% of the CPU (a first `nx release --yes`: 9 s instead of 15 s,
 * a publish: 3.5 s instead of 5.5 s, on the 2-core machine these tests were timed on). Every command a scenario runs
 * and asserts on goes through release(), with Nx's default plugin isolation, as fixture.nx runs Nx.
 */
const SETUP_ENV: NodeJS.ProcessEnv = { NX_ISOLATE_PLUGINS: 'false' };

async function releaseOrThrow(fixture: FixtureWorkspace, args: string[]): Promise<void> {
  const result = await runRelease(fixture, args, SETUP_ENV, true);
  if (result.code !== 0) throw new Error(`setup: nx release ${args.join(' ')} failed:\n${result.output}`);
}

let engineReady: Promise<unknown> | undefined;

/**
 * `nx release` in a temporary git repository of its own (createFixtureWorkspace with git, the repo's release
 * configuration and releaseImages), signing with fixtureSigningKey and publishing to a scratch registry of its own on `registryPort`, with the real engine; released
 * as far as `released` says. Cleans up after itself when the setup fails; otherwise call remove().
 */
export async function createReleaseFixture(options: ReleaseFixtureOptions): Promise<ReleaseFixture> {
  // Once per test file, however many of its scenarios start together.
  engineReady ??= engineForTests();
  await engineReady;
  // startScratchRegistry would take a registry already answering there for its own: this scenario would then share it.
  if (await registryAnswers(`127.0.0.1:${options.registryPort}`, 500)) {
    throw new Error(`a registry already answers on port ${options.registryPort}: another test uses it (or one left it running); give this scenario a port of its own`);
  }
  const registry = await startScratchRegistry(options.registryPort);
  let fixture: FixtureWorkspace | undefined;
  const remove = async () => {
    await registry.remove();
    if (fixture) await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture?.remove();
  };
  try {
    fixture = createFixtureWorkspace({ git: true, release: true, registry: registry.address, images: await releaseImages() });
    if (options.released === 'full') {
      commit(fixture, 'feat(fx-base): base v2', { 'images/base/base.txt': 'base v2\n' });
      await releaseOrThrow(fixture, ['--yes']);
    } else if (options.released) {
      for (const short of RELEASE_IMAGES) {
        const tag = `fx-${short}-v${versionOf(fixture, short)}`;
        const result = fixture.git(['tag', '--annotate', tag, '--message', tag]);
        if (result.code !== 0) throw new Error(result.output);
      }
      if (options.released === 'published') await releaseOrThrow(fixture, ['publish', ...(options.publish ? [`--projects=${options.publish.join(',')}`] : [])]);
    }
    const workspace = fixture;
    return {
      fixture: workspace,
      registry,
      repository: (short) => workspace.image(short),
      digest: (short, tag) => tagDigest(registry.address, workspace.image(short), tag),
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Runs a scenario in a release fixture of its own (see createReleaseFixture) and removes the fixture afterwards, whatever the outcome. */
export async function withReleaseFixture<T>(options: ReleaseFixtureOptions, scenario: (setup: ReleaseFixture) => Promise<T>): Promise<T> {
  const setup = await createReleaseFixture(options);
  try {
    return await scenario(setup);
  } finally {
    await setup.remove();
  }
}
