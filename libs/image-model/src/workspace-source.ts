import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function git(workspaceRoot: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: workspaceRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The commit the workspace is at; unset outside a git checkout. */
export function gitRevision(workspaceRoot: string): string | undefined {
  return git(workspaceRoot, ['rev-parse', 'HEAD']);
}

/** The repository URL from package.json, else git's origin; unset when neither is known. */
export function sourceUrl(workspaceRoot: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as { repository?: string | { url?: string } };
    const fromPackage = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    if (fromPackage) return fromPackage;
  } catch {
    // no package.json: fall through to git
  }
  return git(workspaceRoot, ['remote', 'get-url', 'origin']);
}

/** Now, or SOURCE_DATE_EPOCH when set, so builds and changelog entries can be reproduced. */
export function sourceDate(): Date {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date();
}
