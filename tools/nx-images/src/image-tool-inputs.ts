import type { NxJsonConfiguration, TargetConfiguration } from '@nx/devkit';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { PLUGIN_NAME } from './plugin-options';

/** What the cached image targets run besides the image's own files: this plugin, the workspace libs it loads, the npm packages they load. */
export interface ImageToolInputs {
  /** Nx projects of the workspace packages the plugin loads, its own included; empty when the workspace does not hold its sources. */
  projects: string[];
  /** npm packages they load, as the lockfile names them; undefined when they cannot all be named (Nx then hashes every external package). */
  externalDependencies?: string[];
}

interface LockfileEntry {
  link?: boolean;
  resolved?: string;
}

const LOCKFILE = 'package-lock.json';
const SOURCE_FILE = /\.(?:[cm]?ts|tsx|[cm]?js)$/;
// What nx.json's `production` input leaves out, so that test helpers a package imports do not count as loaded.
const TEST_FILE = /(?:\.spec\.|\.test\.|^jest\.config\.)/;
const TEST_DIRS = new Set(['test', 'node_modules']);
// Module specifiers a file loads at run time: import/export ... from (not `import type`), bare imports, require() and import().
const SPECIFIERS = [
  /(?:^|[\s;])(?:import|export)\s+(?!type\s)[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /(?:^|[\s;])import\s*['"]([^'"]+)['"]/g,
  /\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g,
];
const BUILTINS = new Set(builtinModules);

/**
 * The workspace packages and npm packages the image executors run, found by
 * following imports from the plugin's package through the npm workspace links
 * of the lockfile. Derived at every graph computation rather than listed, so a
 * new import can never leave the cache blind to a library: a change to any of
 * their sources, or to the version of a package they load, is a cache miss for
 * the image targets, and a lockfile change elsewhere is not.
 */
export function readImageToolInputs(workspaceRoot: string): ImageToolInputs {
  const packages = readLockfilePackages(workspaceRoot);
  // No npm lockfile (a workspace of its own using the installed plugin): nothing to name, so Nx hashes every external package.
  if (!packages) return { projects: [] };
  const projects: string[] = [];
  const external = new Set<string>();
  let unnamed = false;
  const seen = new Set<string>();
  const pending = [PLUGIN_NAME];
  while (pending.length) {
    const name = pending.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const entry = packages[`node_modules/${name}`];
    if (!entry?.link) {
      if (entry) external.add(name);
      else unnamed = true;
      continue;
    }
    const folder = entry.resolved!;
    projects.push(projectNameOf(workspaceRoot, folder) ?? name);
    for (const loaded of loadedPackages(join(workspaceRoot, folder))) pending.push(loaded);
  }
  // Sorted: the inputs are part of the project configuration Nx hashes, and directory order differs between machines.
  return { projects: projects.sort(), externalDependencies: unnamed ? undefined : [...external].sort() };
}

/** The inputs that tie a cached image target to the tool that runs it (see readImageToolInputs). */
export function imageToolInputDefinitions(tool: ImageToolInputs, nxJson: NxJsonConfiguration | undefined): NonNullable<TargetConfiguration['inputs']> {
  // `production` leaves the packages' tests out; a workspace without it falls back to Nx's default, every file of the project.
  const input = nxJson?.namedInputs?.production ? 'production' : 'default';
  return [
    ...(tool.projects.length ? [{ input, projects: tool.projects }] : []),
    ...(tool.externalDependencies ? [{ externalDependencies: tool.externalDependencies }] : []),
  ];
}

function readLockfilePackages(workspaceRoot: string): Record<string, LockfileEntry> | undefined {
  const file = join(workspaceRoot, LOCKFILE);
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { packages?: Record<string, LockfileEntry> }).packages;
  } catch {
    // Nx reports a broken lockfile itself; here it only means no package can be named.
    return undefined;
  }
}

function projectNameOf(workspaceRoot: string, folder: string): string | undefined {
  for (const file of ['project.json', 'package.json']) {
    const path = join(workspaceRoot, folder, file);
    if (!existsSync(path)) continue;
    const name = (JSON.parse(readFileSync(path, 'utf8')) as { name?: string }).name;
    if (name) return name;
  }
  return undefined;
}

/** Package names (not Node built-ins, not relative paths) the non-test sources under `dir` load. */
function loadedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of SPECIFIERS) {
      for (const match of text.matchAll(pattern)) {
        const name = packageName(match[1]);
        if (name) names.add(name);
      }
    }
  }
  return names;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) {
      if (!TEST_DIRS.has(entry.name)) files.push(...sourceFiles(join(dir, entry.name)));
    } else if (SOURCE_FILE.test(entry.name) && !TEST_FILE.test(entry.name)) {
      files.push(join(dir, entry.name));
    }
  }
  return files;
}

function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTINS.has(name) ? undefined : name;
}
