'use strict';
/**
 * The plugin's executors as Nx runs them: each one bundled by esbuild from its
 * TypeScript sources (with the workspace libraries it imports; npm packages
 * stay with Node), kept under node_modules/.cache/nx-images and used for as
 * long as its sources are what it was built from.
 *
 * Why: Nx 23 on Node 20 loads a `.ts` executor through swc-node, which first
 * requires TypeScript and then transpiles every source file again, in every
 * task process: seconds per task, more than a fresh machine's pull of a
 * small image. A bundle loads as one plain CommonJS file.
 *
 * Never stale: a bundle is named by the content hash of every file esbuild
 * read to make it (read here, in the plugin below, so the hash is of exactly
 * what went in), and a task uses it only when those files hash the same now.
 * Modification times play no part. Parallel tasks on a fresh clone each
 * build, write beside and rename, so a reader only ever sees a whole file.
 */
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const { isBuiltin } = require('node:module');
const path = require('node:path');

/** Part of every hash: changing how bundles are made never reuses one made before. */
const BUNDLE_FORMAT = 'nx-images-executor-bundle/1';
/** Fixed compiler options (what tsc makes of tsconfig.base.json), so no tsconfig.json esbuild might find changes a bundle behind its hash. */
const TSCONFIG = { compilerOptions: { useDefineForClassFields: true } };
/** A bundle replaced longer ago than this is removed; a task that validated it just before may still be loading it. */
const STALE_BUNDLE_GRACE_MS = 10 * 60 * 1000;
const LOADERS = { '.ts': 'ts', '.cts': 'ts', '.mts': 'ts', '.tsx': 'tsx', '.js': 'js', '.cjs': 'js', '.mjs': 'js', '.jsx': 'jsx', '.json': 'json' };

/** A mistake the user can fix (a source that does not compile, a missing executor): reported as one line by the task. */
class ExecutorLoadError extends Error {
  constructor(message, file) {
    super(message);
    this.name = 'ExecutorLoadError';
    this.file = file;
  }

  /** The message with the file relative to the workspace when it is inside it. */
  describe(workspaceRoot) {
    if (!this.file) return this.message;
    const relative = path.relative(workspaceRoot, this.file);
    const shown = relative.startsWith('..') || path.isAbsolute(relative) ? this.file : relative;
    return this.message.replace('{file}', shown);
  }
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** The hash a bundle is named by: the format, esbuild's version and every input file by content. */
function bundleHash(version, fileHashes) {
  const hash = createHash('sha256').update(`${BUNDLE_FORMAT}\0${version}\n`);
  for (const file of [...fileHashes.keys()].sort()) hash.update(`${file}\0${fileHashes.get(file)}\n`);
  return hash.digest('hex');
}

/** What the same files hash to now; undefined when one is gone. */
function currentHash(version, files) {
  const hashes = new Map();
  for (const file of files) {
    try {
      hashes.set(file, sha256(fs.readFileSync(file)));
    } catch {
      return undefined;
    }
  }
  return bundleHash(version, hashes);
}

/** The node_modules the plugin's packages are installed in, nearest first: where its cache goes. */
function defaultCacheDir(pluginDir) {
  for (let dir = pluginDir; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'node_modules'))) return path.join(dir, 'node_modules', '.cache', 'nx-images');
    if (path.dirname(dir) === dir) return path.join(pluginDir, '.cache', 'nx-images');
  }
}

function esbuildVersion() {
  try {
    return require('esbuild/package.json').version;
  } catch {
    throw new ExecutorLoadError('esbuild is not installed, and the image executors are bundled with it: run `npm ci` (it is a devDependency of the workspace).');
  }
}

/**
 * npm's record of what is installed in the node_modules the bundle's npm
 * packages resolve from (`.package-lock.json`): an install that moves a
 * package under one library, where the bundle must name it by path, changes it.
 */
function installedPackagesRecord(cacheDir) {
  for (let dir = cacheDir; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const nodeModules = path.basename(dir) === 'node_modules' ? dir : path.join(dir, 'node_modules');
    if (fs.existsSync(nodeModules)) {
      const record = path.join(nodeModules, '.package-lock.json');
      return fs.existsSync(record) ? record : undefined;
    }
  }
  return undefined;
}

/** Writes beside and renames, so a parallel reader sees the old file or the whole new one. */
function writeAtomically(file, text) {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

function tryResolve(specifier, from) {
  try {
    return require.resolve(specifier, { paths: [from] });
  } catch {
    return undefined;
  }
}

/** The package.json of the package a file belongs to. */
function packageJsonOf(file) {
  for (let dir = path.dirname(file); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'package.json');
  }
  return undefined;
}

/**
 * `__dirname` and `__filename` of a bundled file are the bundle's unless the
 * file gets its own: declared on its first line, so line numbers stay.
 */
function withOwnDirname(source, file) {
  if (!/\b__(dirname|filename)\b/.test(source) || /\b(const|let|var)\s+__(dirname|filename)\b/.test(source)) return source;
  return `const __dirname = ${JSON.stringify(path.dirname(file))}, __filename = ${JSON.stringify(file)}; ${source}`;
}

/**
 * Reads every file esbuild bundles (recording its hash) and leaves npm
 * packages to Node: by name when Node finds the same file by name from the
 * cache folder, by path otherwise (a package installed under one library).
 * Workspace packages (linked into node_modules, their sources outside it) are
 * bundled, with their package.json among the inputs since it says which file
 * a name resolves to.
 */
function sourcesPlugin(fileHashes, cacheDir) {
  const fromPlugin = Symbol('resolving for the sources plugin');
  return {
    name: 'nx-images-executor-sources',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === fromPlugin) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: fromPlugin });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        if (!resolved.path.split(path.sep).includes('node_modules')) {
          const packageJson = packageJsonOf(resolved.path);
          if (packageJson) fileHashes.set(packageJson, sha256(fs.readFileSync(packageJson)));
          return { path: resolved.path };
        }
        const fromImporter = tryResolve(args.path, args.resolveDir);
        return { path: fromImporter && fromImporter !== tryResolve(args.path, cacheDir) ? fromImporter : args.path, external: true };
      });
      build.onLoad({ filter: /.*/, namespace: 'file' }, (args) => {
        const loader = LOADERS[path.extname(args.path)];
        if (!loader) return undefined;
        const bytes = fs.readFileSync(args.path);
        fileHashes.set(args.path, sha256(bytes));
        const source = bytes.toString('utf8');
        return { contents: loader === 'json' ? source : withOwnDirname(source, args.path), loader };
      });
    },
  };
}

/** esbuild's first error as one line: `{file}:line:column: text` (the file filled in by ExecutorLoadError.describe). */
function buildError(name, error, workingDir) {
  const first = error.errors?.[0];
  if (!first) return error;
  const where = first.location ? path.resolve(workingDir, first.location.file) : undefined;
  const position = first.location ? `{file}:${first.location.line}:${first.location.column + 1}: ` : '';
  return new ExecutorLoadError(`${position}${first.text} (the ${name} executor could not be bundled: fix the file and run the task again)`, where);
}

async function buildBundle(pluginDir, name, entry, cacheDir, version) {
  const esbuild = require('esbuild');
  const fileHashes = new Map();
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: pluginDir,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      tsconfigRaw: TSCONFIG,
      write: false,
      outfile: path.join(cacheDir, `${name}.js`),
      metafile: true,
      logLevel: 'silent',
      plugins: [sourcesPlugin(fileHashes, cacheDir)],
    });
  } catch (error) {
    throw buildError(name, error, pluginDir);
  }
  // Every input went through the plugin's onLoad; one that did not (a loader it does not know) is hashed as it is now.
  const installed = installedPackagesRecord(cacheDir);
  for (const file of [...Object.keys(result.metafile.inputs).map((input) => path.resolve(pluginDir, input)), ...(installed ? [installed] : [])]) {
    if (!fileHashes.has(file)) fileHashes.set(file, sha256(fs.readFileSync(file)));
  }
  const hash = bundleHash(version, fileHashes);
  return { hash, inputs: [...fileHashes.keys()].sort(), text: result.outputFiles[0].text };
}

/** Loads bundle text that could not be written to the cache (a read-only node_modules): compiled in memory, resolving as if it were there. */
function compileInMemory(text, file) {
  const Module = require('node:module');
  const loaded = new Module(file, module);
  loaded.filename = file;
  loaded.paths = Module._nodeModulePaths(path.dirname(file));
  loaded._compile(text, file);
  return loaded.exports;
}

function exportedExecutor(loaded) {
  return loaded.default ?? loaded;
}

/** Removes the bundles under `prefix` other than `keep`, and what killed tasks left half written, once nobody can be loading them any more. */
function removeOldBundles(cacheDir, prefix, keep) {
  for (const entry of fs.readdirSync(cacheDir)) {
    if (entry === keep || !entry.startsWith(prefix) || !/^([0-9a-f]{16}\.js|.*\.tmp)$/.test(entry.slice(prefix.length))) continue;
    const file = path.join(cacheDir, entry);
    try {
      if (Date.now() - fs.statSync(file).mtimeMs > STALE_BUNDLE_GRACE_MS) fs.rmSync(file, { force: true });
    } catch {
      // Removed by a parallel task meanwhile.
    }
  }
}

/**
 * The executor function exported by `src/executors/<name>/executor.ts` of
 * the plugin in `pluginDir`, from its bundle in `cacheDir` when that was
 * built from the sources as they are now, built (and kept) otherwise.
 */
async function loadExecutor(pluginDir, name, cacheDir = defaultCacheDir(pluginDir)) {
  const entry = path.join(pluginDir, 'src', 'executors', name, 'executor.ts');
  if (!fs.existsSync(entry)) {
    throw new ExecutorLoadError(`{file}: no such file, but executors.json names the executor "${name}": every executor's source is src/executors/<name>/executor.ts.`, entry);
  }
  const version = esbuildVersion();
  // Per plugin folder too: workspaces that share node_modules (fixtures linking the repo's) may hold copies of the plugin.
  const prefix = `${name}.${sha256(pluginDir).slice(0, 8)}.`;
  const manifestFile = path.join(cacheDir, `${prefix}json`);
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch {
    manifest = undefined;
  }
  const valid = manifest?.format === BUNDLE_FORMAT && manifest.esbuild === version && manifest.entry === entry && currentHash(version, manifest.inputs) === manifest.hash;
  // A bundle replaced long ago may be gone (see removeOldBundles): then it is built again.
  if (valid && fs.existsSync(path.join(cacheDir, manifest.bundle))) return exportedExecutor(require(path.join(cacheDir, manifest.bundle)));
  const built = await buildBundle(pluginDir, name, entry, cacheDir, version);
  const bundle = `${prefix}${built.hash.slice(0, 16)}.js`;
  const file = path.join(cacheDir, bundle);
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    writeAtomically(file, built.text);
    writeAtomically(manifestFile, `${JSON.stringify({ format: BUNDLE_FORMAT, esbuild: version, entry, hash: built.hash, bundle, inputs: built.inputs }, null, 2)}\n`);
  } catch {
    return exportedExecutor(compileInMemory(built.text, file));
  }
  removeOldBundles(cacheDir, prefix, bundle);
  return exportedExecutor(require(file));
}

/**
 * What executors.json points Nx at for executor `name`: a function that loads
 * the bundle on its first call and runs it. A source that does not compile
 * fails the task with one line naming the file, as the plugin's own errors do.
 */
function bundledExecutor(pluginDir, name, cacheDir) {
  let loading;
  return async function* runBundledExecutor(options, context) {
    loading ??= loadExecutor(pluginDir, name, cacheDir);
    let implementation;
    try {
      implementation = await loading;
    } catch (error) {
      if (!(error instanceof ExecutorLoadError)) throw error;
      console.error(`[${context?.projectName ?? name}] ERROR: ${error.describe(context?.root ?? process.cwd())}`);
      yield { success: false };
      return;
    }
    // An executor returns a promise or an async iterator; Nx takes the last value either way.
    const result = implementation(options, context);
    if (result && typeof result[Symbol.asyncIterator] === 'function') yield* result;
    else yield await result;
  };
}

module.exports = { bundledExecutor, loadExecutor, ExecutorLoadError };
