import { execFileSync } from 'node:child_process';
import { UserError } from '@taskforge/user-errors';

function gitRaw(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function git(cwd: string, args: string[]): string {
  return gitRaw(cwd, args).trim();
}

/** Uncommitted changes (`git status --porcelain` lines, untracked included). */
export function uncommittedChanges(cwd: string): string[] {
  // Not trimmed: each line starts with two status columns, the first often a space.
  return gitRaw(cwd, ['status', '--porcelain', '--untracked-files=all']).split('\n').filter(Boolean);
}

/** Refuses a release that would start from a tree whose changes are in no commit. */
export function assertCleanWorkingTree(cwd: string): void {
  const changes = uncommittedChanges(cwd);
  if (changes.length === 0) return;
  const shown = changes.slice(0, 3).map((line) => line.slice(3)).join(', ');
  const more = changes.length > 3 ? ` and ${changes.length - 3} more` : '';
  throw new UserError(
    `The working tree has uncommitted changes (${shown}${more}); a release is computed from commits only: commit or stash them, then run the release again.`,
  );
}

/** The commit a tag points to, or undefined when the tag does not exist. */
export function tagCommit(cwd: string, tag: string): string | undefined {
  try {
    return git(cwd, ['rev-parse', '-q', '--verify', `refs/tags/${tag}^{commit}`]) || undefined;
  } catch {
    return undefined;
  }
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
