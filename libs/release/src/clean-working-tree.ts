import { uncommittedChanges } from '@taskforge/git';
import { UserError } from '@taskforge/user-errors';

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
