import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs git in `cwd` and returns its standard output untrimmed; throws when git fails. */
function gitOutput(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function git(cwd: string, args: string[]): string {
  return gitOutput(cwd, args).trim();
}

/** git's answer, or undefined when git fails or says nothing (no checkout, no commit, no remote). */
function gitIfAny(cwd: string, args: string[]): string | undefined {
  try {
    return git(cwd, args) || undefined;
  } catch {
    return undefined;
  }
}

/** The commit the checkout is at; undefined outside a git checkout or before the first commit. */
export function gitRevision(cwd: string): string | undefined {
  return gitIfAny(cwd, ['rev-parse', 'HEAD']);
}

/** The repository URL from package.json, else git's origin; undefined when neither is known. */
export function sourceUrl(cwd: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { repository?: string | { url?: string } };
    const fromPackage = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    if (fromPackage) return fromPackage;
  } catch {
    // no package.json: fall through to git
  }
  return gitIfAny(cwd, ['remote', 'get-url', 'origin']);
}

/** Uncommitted changes (`git status --porcelain` lines, untracked included). */
export function uncommittedChanges(cwd: string): string[] {
  // Not trimmed: each line starts with two status columns, the first often a space.
  return gitOutput(cwd, ['status', '--porcelain', '--untracked-files=all']).split('\n').filter(Boolean);
}

/** The commit a tag points to, or undefined when the tag does not exist. */
export function tagCommit(cwd: string, tag: string): string | undefined {
  return gitIfAny(cwd, ['rev-parse', '-q', '--verify', `refs/tags/${tag}^{commit}`]);
}

/** Every tag name in the repository. */
export function listTags(cwd: string): string[] {
  return git(cwd, ['tag', '--list']).split('\n').filter(Boolean);
}

/** Files under any of `roots` (relative to the repo), other than their `except` files, that differ between `from` and HEAD. */
export function filesChangedSince(cwd: string, from: string, roots: readonly string[], except: readonly string[]): string[] {
  const pathspecs = roots.flatMap((root) => [root, ...except.map((file) => `:(exclude)${root}/${file}`)]);
  return git(cwd, ['diff', '--name-only', from, 'HEAD', '--', ...pathspecs]).split('\n').filter(Boolean);
}

/** Creates an annotated tag on HEAD. */
export function createAnnotatedTag(cwd: string, tag: string, message: string): void {
  git(cwd, ['tag', '--annotate', tag, '--message', message]);
}
