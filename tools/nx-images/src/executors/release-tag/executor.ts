import { readVersionFile } from '@taskforge/image-model';
import { assertCleanWorkingTree, releaseTagName } from '@taskforge/release';
import { join, posix } from 'node:path';
import { UserError } from '@taskforge/user-errors';
import { projectReleaseTagFormat } from '../../release/release-config';
import { projectExecutor } from '../executor-context';
import type { ReleaseTagExecutorOptions } from './schema';
import { createAnnotatedTag, gitRevision, tagCommit } from '@taskforge/git';

/**
 * Tags HEAD as the release of the version in VERSION, once, with the tag name nx.json's release.releaseTag.pattern
 * gives (as Nx resolves it): the step CI can run alone (or to finish a release whose tagging failed).
 */
export default projectExecutor<ReleaseTagExecutorOptions>(async ({ project, print }, options, context) => {
  const root = context.projectsConfigurations.projects[project].root;
  const version = readVersionFile(join(context.root, root, 'VERSION'), posix.join(root, 'VERSION'));
  const tag = releaseTagName(await projectReleaseTagFormat(context.root, project, { graph: context.projectGraph, nxJson: context.nxJsonConfiguration }), version);
  const existing = tagCommit(context.root, tag);
  const head = gitRevision(context.root);
  if (!head) throw new UserError(`${context.root} is not a git checkout with a commit: release tags need one.`);
  if (existing) {
    print(existing === head ? `${tag} already tags HEAD` : `${tag} already exists (commit ${existing.slice(0, 12)}): nothing to do`);
    return;
  }
  if (options.dryRun) {
    print(`dry run: would tag ${head.slice(0, 12)} as ${tag}`);
    return;
  }
  assertCleanWorkingTree(context.root);
  createAnnotatedTag(context.root, tag, tag);
  print(`tagged ${head.slice(0, 12)} as ${tag}`);
});
