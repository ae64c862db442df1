import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { REPO_ROOT } from '@taskforge/testing';

const PLUGIN_DIR = resolve(__dirname, '..');
const LOADER = join(PLUGIN_DIR, 'executor-loader/executor-bundle.cjs');

/**
 * Each load runs in a Node process of its own, as an Nx task does (esbuild's
 * API also refuses Jest's sandboxed globals): it loads executor `hello` of
 * the plugin in `pluginDir` with `cacheDir` and runs it for project `p`.
 */
const RUN_EXECUTOR = `
const [loader, pluginDir, cacheDir] = process.argv.slice(1);
const { bundledExecutor } = require(loader);
(async () => {
  let last;
  for await (const value of bundledExecutor(pluginDir, 'hello', cacheDir)({}, { projectName: 'p', root: pluginDir })) last = value;
  process.stdout.write(JSON.stringify(last));
})();
`;

interface Loaded {
  result: { success: boolean; word?: string };
  stderr: string;
}

function parseRun(stdout: string, stderr: string, code: number | null): Loaded {
  if (code !== 0) throw new Error(`the executor process failed (${code}): ${stderr}`);
  return { result: JSON.parse(stdout), stderr };
}

function runExecutor(pluginDir: string, cacheDir: string): Loaded {
  const child = spawnSync(process.execPath, ['-e', RUN_EXECUTOR, LOADER, pluginDir, cacheDir], { encoding: 'utf8' });
  return parseRun(child.stdout, child.stderr, child.status);
}

function runExecutorAsync(pluginDir: string, cacheDir: string): Promise<Loaded> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-e', RUN_EXECUTOR, LOADER, pluginDir, cacheDir]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      try {
        done(parseRun(stdout, stderr, code));
      } catch (error) {
        fail(error);
      }
    });
  });
}

/** A plugin of its own: executor `hello` returns the word of src/word.ts, which reads data.txt beside it through __dirname. */
function createPlugin() {
  const root = mkdtempSync(join(tmpdir(), 'executor-bundle-'));
  const pluginDir = join(root, 'plugin');
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(pluginDir, path)), { recursive: true });
    writeFileSync(join(pluginDir, path), text);
  };
  // esbuild comes from the repo, as a fixture workspace's plugin does.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  write('src/executors/hello/executor.ts', "import { word } from '../../word';\n\nexport default async (): Promise<{ success: boolean; word: string }> => ({ success: true, word });\n");
  write('src/word.ts', "import { readFileSync } from 'node:fs';\nimport { join } from 'node:path';\n\nexport const word: string = 'one' + readFileSync(join(__dirname, 'data.txt'), 'utf8');\n");
  write('src/data.txt', '!');
  return { root, pluginDir, cacheDir: join(root, 'cache'), write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

const bundlesIn = (cacheDir: string) => readdirSync(cacheDir).filter((file) => file.endsWith('.js'));

describe('executor bundles', () => {
  let plugin: ReturnType<typeof createPlugin>;
  beforeEach(() => {
    plugin = createPlugin();
  });
  afterEach(() => plugin.remove());

  it('runs a bundle until a source it was built from changes, whatever its modification time says', () => {
    expect(runExecutor(plugin.pluginDir, plugin.cacheDir).result).toEqual({ success: true, word: 'one!' });
    const [bundle] = bundlesIn(plugin.cacheDir);
    const builtAt = statSync(join(plugin.cacheDir, bundle)).mtimeMs;
    expect(runExecutor(plugin.pluginDir, plugin.cacheDir).result.word).toBe('one!');
    expect(bundlesIn(plugin.cacheDir)).toEqual([bundle]);
    expect(statSync(join(plugin.cacheDir, bundle)).mtimeMs).toBe(builtAt);

    // Same size, same modification time as before: only the content tells.
    const word = join(plugin.pluginDir, 'src/word.ts');
    const before = statSync(word);
    plugin.write('src/word.ts', readFileSync(word, 'utf8').replace("'one'", "'two'"));
    utimesSync(word, before.atime, before.mtime);
    expect(statSync(word).size).toBe(before.size);
    expect(runExecutor(plugin.pluginDir, plugin.cacheDir).result.word).toBe('two!');
  });

  it('gives a bundled file its own __dirname', () => {
    plugin.write('src/data.txt', '?');
    expect(runExecutor(plugin.pluginDir, plugin.cacheDir).result.word).toBe('one?');
  });

  it('leaves one whole bundle when parallel tasks load an executor on a clean cache', async () => {
    const loads = await Promise.all(Array.from({ length: 6 }, () => runExecutorAsync(plugin.pluginDir, plugin.cacheDir)));
    expect(loads.map((load) => load.result.word)).toEqual(Array(6).fill('one!'));
    const files = readdirSync(plugin.cacheDir);
    const manifests = files.filter((file) => file.endsWith('.json'));
    expect(manifests).toHaveLength(1);
    const manifest = JSON.parse(readFileSync(join(plugin.cacheDir, manifests[0]), 'utf8'));
    expect(files.sort()).toEqual([manifest.bundle, manifests[0]].sort());
    expect(runExecutor(plugin.pluginDir, plugin.cacheDir).result.word).toBe('one!');
  });

  it('fails the task with one line naming the file when a source does not compile', () => {
    plugin.write('src/word.ts', "export const word: string = 'one' +;\n");
    const load = runExecutor(plugin.pluginDir, plugin.cacheDir);
    expect(load.result).toEqual({ success: false });
    expect(load.stderr).toMatch(/^\[p\] ERROR: src\/word\.ts:1:\d+: .+ \(the hello executor could not be bundled: fix the file and run the task again\)\n$/);

    plugin.write('src/word.ts', "export const word: string = 'fixed';\n");
    expect(runExecutor(plugin.pluginDir, plugin.cacheDir).result).toEqual({ success: true, word: 'fixed' });
  });
});

describe("the plugin's executors", () => {
  const executors = JSON.parse(readFileSync(join(PLUGIN_DIR, 'executors.json'), 'utf8')).executors as Record<string, { implementation: string }>;

  it('are all loaded through the bundle loader', () => {
    for (const [name, executor] of Object.entries(executors)) expect(`${name} ${executor.implementation}`).toBe(`${name} ./executor-loader/executors.cjs#${name}`);
  });

  it('all bundle and load', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'executor-bundles-'));
    try {
      const script = `
const [loader, pluginDir, cacheDir, ...names] = process.argv.slice(1);
const { loadExecutor } = require(loader);
(async () => {
  for (const name of names) process.stdout.write(\`\${name} \${typeof (await loadExecutor(pluginDir, name, cacheDir))}\\n\`);
})().catch((error) => { process.stdout.write(error.message); process.exitCode = 1; });
`;
      const names = Object.keys(executors);
      const child = spawnSync(process.execPath, ['-e', script, LOADER, PLUGIN_DIR, cacheDir, ...names], { encoding: 'utf8' });
      expect(child.stdout.trim().split('\n')).toEqual(names.map((name) => `${name} function`));
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
