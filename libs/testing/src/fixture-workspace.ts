import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The repository this test code lives in; fixtures borrow its node_modules (and so its plugin). */
export const REPO_ROOT = resolve(__dirname, '../../..');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

export interface FixtureWorkspace {
  root: string;
  /** Unique per fixture, so image names never collide with earlier runs in the engine or registry. */
  suffix: string;
  image(short: string): string;
  write(path: string, content: string): void;
  read(path: string): string;
  nx(args: string[], env?: NodeJS.ProcessEnv): CommandResult;
  git(args: string[]): CommandResult;
  /** build-image's record of a project, as the last run left it. */
  record(project: string): { outcome: string; id: string; tags: string[]; contentKey: string } | undefined;
  remove(): void;
}

/**
 * Runs this repo's Nx in `cwd` (the repo itself by default) as the tests do: no daemon, no TUI, no cloud, and
 * plugins loaded in Nx's own process (see NX_TEST_ENV).
 */
export function runNx(args: string[], cwd = REPO_ROOT, env?: NodeJS.ProcessEnv): CommandResult {
  return run(process.execPath, [join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js'), ...args], cwd, env);
}

/** Runs Nx in the repo and throws with its output when it fails. */
export function runNxOrThrow(args: string[], cwd = REPO_ROOT): CommandResult {
  const result = runNx(args, cwd);
  if (result.code !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${result.output}`);
  return result;
}

/**
 * How the tests run Nx. NX_ISOLATE_PLUGINS=false loads plugins in Nx's own process instead of a worker process
 * per plugin: on 2 cores that halves every command (3.0 s -> 1.5 s for `nx show projects` in a fixture), and the
 * suite runs a few hundred of them. Isolation only guards Nx against a plugin that crashes its process, which no
 * test here does; plugin errors reach the user the same way either way.
 */
export const NX_TEST_ENV = { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', NX_SKIP_LOG_GROUPING: 'true', NX_ISOLATE_PLUGINS: 'false', FORCE_COLOR: '0' };

export function run(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): CommandResult {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...NX_TEST_ENV, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}${result.stderr}` };
}

/**
 * A small workspace of its own: one base built FROM scratch and two variants
 * FROM it (one through an ARG default, one through a named stage), using this
 * repo's plugin. Build contexts ignore README.md.
 */
export interface FixtureImage {
  /** Folder under the workspace, e.g. `images/base`. */
  dir: string;
  /** Short name: project `fx-<short>`, image `fx-<suffix>-<short>`. */
  short: string;
  /** Dockerfile text; `{{image:<short>}}` stands for another fixture image's name. */
  dockerfile: string;
  files: Record<string, string>;
}

const STANDARD_IMAGES: FixtureImage[] = [
  { dir: 'images/base', short: 'base', dockerfile: 'FROM scratch\nCOPY base.txt /base.txt\n', files: { 'base.txt': 'base v1\n' } },
  { dir: 'images/variants/a', short: 'a', dockerfile: 'ARG BASE={{image:base}}:1.0.0\nFROM ${BASE}\nCOPY a.txt /a.txt\n', files: { 'a.txt': 'a v1\n' } },
  { dir: 'images/variants/b', short: 'b', dockerfile: 'FROM {{image:base}}:1.0.0 AS base\nFROM base\nCOPY b.txt /b.txt\n', files: { 'b.txt': 'b v1\n' } },
];

/** The repo's own `nx release` configuration, so release fixtures run exactly what the repo runs. */
function repoReleaseConfig(): unknown {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'nx.json'), 'utf8')) as { release: unknown }).release;
}

export interface FixtureOptions {
  git?: boolean;
  images?: FixtureImage[];
  release?: boolean;
  registry?: string;
  /** Folders of this repo (e.g. `images/base`) copied in as they are checked out, with their image names. */
  repoImages?: string[];
}

export function createFixtureWorkspace(options: FixtureOptions = {}): FixtureWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'nx-images-fixture-'));
  const suffix = randomBytes(4).toString('hex');
  const image = (short: string) => `fx-${suffix}-${short}`;
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };

  write('package.json', JSON.stringify({ name: `fixture-${suffix}`, private: true }, null, 2));
  // Nx registers its TypeScript transpiler for the plugin with this file; it must name at least one input.
  write('tsconfig.base.json', JSON.stringify({ compilerOptions: {}, files: ['workspace.d.ts'] }));
  write('workspace.d.ts', 'export {};\n');
  write('.gitignore', 'node_modules\n.nx\ndist\n');
  write(
    'nx.json',
    JSON.stringify(
      {
        defaultBase: 'main',
        neverConnectToCloud: true,
        plugins: [{ plugin: '@taskforge/nx-images', options: { registry: options.registry ?? 'localhost:5000', inRepoPrefixes: options.repoImages ? ['openclaw-'] : ['fx-'] } }],
        ...(options.release ? { release: repoReleaseConfig() } : {}),
      },
      null,
      2,
    ),
  );
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));

  const project = (dir: string, short: string, dockerfile: string, files: Record<string, string>) => {
    write(`${dir}/image.json`, JSON.stringify({ name: image(short), project: `fx-${short}`, description: `fixture image ${short}` }, null, 2));
    write(`${dir}/VERSION`, '1.0.0\n');
    write(`${dir}/Dockerfile`, dockerfile);
    write(`${dir}/.dockerignore`, 'README.md\n');
    write(`${dir}/README.md`, `# ${short}\n`);
    for (const [name, content] of Object.entries(files)) write(`${dir}/${name}`, content);
  };
  for (const dir of options.repoImages ?? []) {
    // What git tracks there, as the working tree has it: the image the checkout would build.
    const files = run('git', ['ls-files', '-z', '--', dir], REPO_ROOT).stdout.split('\0').filter(Boolean);
    for (const file of files) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      copyFileSync(join(REPO_ROOT, file), join(root, file));
      chmodSync(join(root, file), statSync(join(REPO_ROOT, file)).mode);
    }
  }
  for (const fixtureImage of options.images ?? (options.repoImages ? [] : STANDARD_IMAGES)) {
    const dockerfile = fixtureImage.dockerfile.replace(/\{\{image:([\w-]+)\}\}/g, (_, short: string) => image(short));
    project(fixtureImage.dir, fixtureImage.short, dockerfile, fixtureImage.files);
  }

  const fixture: FixtureWorkspace = {
    root,
    suffix,
    image,
    write,
    read: (path) => readFileSync(join(root, path), 'utf8'),
    nx: (args, env) => runNx(args, root, env),
    git: (args) => run('git', args, root),
    record: (name) => {
      const file = join(root, 'dist/images', name, 'build-image.json');
      return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
  if (options.release) {
    write('.nxignore', readFileSync(join(REPO_ROOT, '.nxignore'), 'utf8'));
    // The released base the image-builder layers task images on: the repo's own when the fixture holds it.
    const base = options.repoImages?.includes('images/base') ? `openclaw-base:${readFileSync(join(root, 'images/base/VERSION'), 'utf8').trim()}` : `${image('base')}:1.0.0`;
    write('config/task-builds.json', `${JSON.stringify({ defaultBaseImage: base }, null, 2)}\n`);
  }
  if (options.git) {
    fixture.git(['init', '-q', '-b', 'main']);
    fixture.git(['config', 'user.name', 'fixture']);
    fixture.git(['config', 'user.email', 'fixture@localhost']);
    fixture.git(['add', '-A']);
    fixture.git(['commit', '-qm', 'chore: fixture workspace']);
  }
  return fixture;
}

/** A base and `count` variants FROM it (scratch images: fast to build). */
export function fanOutImages(count: number): FixtureImage[] {
  return [
    { dir: 'images/base', short: 'base', dockerfile: 'FROM scratch\nCOPY base.txt /base.txt\n', files: { 'base.txt': 'base v1\n' } },
    ...Array.from({ length: count }, (_, i) => ({
      dir: `images/variants/v${i + 1}`,
      short: `v${i + 1}`,
      dockerfile: `FROM {{image:base}}:1.0.0\nCOPY v.txt /v${i + 1}.txt\n`,
      files: { 'v.txt': `variant ${i + 1}\n` },
    })),
  ];
}
