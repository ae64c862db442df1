import { readCachedProjectGraph, workspaceRoot } from '@nx/devkit';
import type { ChangelogChange } from 'nx/release/changelog-renderer';
import { join } from 'node:path';
import { readImageDefinition, sourceDate } from '@taskforge/image-model';
import { latestRelease, renderChangelogEntry, type ChangelogCommit } from '@taskforge/release';
import { readPackageRefresh } from '../package-refresh-file';
import { changelogSections, projectReleaseTagFormat, type ConventionalCommitsConfig } from './release-config';
import { listTags, sourceUrl } from '@taskforge/git';

/** What Nx passes a changelog renderer (the part used here). */
interface RendererConfig {
  changes: ChangelogChange[];
  changelogEntryVersion: string;
  project: string | null;
  dependencyBumps?: { dependencyName: string; newVersion: string }[];
  changelogRenderOptions?: { repositoryUrl?: string };
  /** nx.json's conventional commit types as Nx resolved them: the section titles and which types are listed. */
  conventionalCommitsConfig: ConventionalCommitsConfig;
}

/** BREAKING CHANGE footer text, when the commit has one. */
function breakingExplanation(body: string | undefined): string | undefined {
  const match = /^BREAKING[ -]CHANGE:\s*([^]*?)(?:\n\s*\n|$)/m.exec(body ?? '');
  return match?.[1].trim() || undefined;
}

function imageName(project: string): string {
  const root = readCachedProjectGraph().nodes[project]?.data.root;
  return root ? readImageDefinition(join(workspaceRoot, root, 'image.json')).name : project;
}

/**
 * Nx release's changelog renderer for image projects: one CHANGELOG.md entry
 * per release, written by conventional-changelog (libs/release), with the
 * base images it now builds FROM and the Debian packages a refresh moved.
 */
export default class ImageChangelogRenderer {
  constructor(private readonly config: RendererConfig) {}

  async render(): Promise<string> {
    const project = this.config.project;
    // A commit that also touched files outside every project ('*') counts only where its scope names the project.
    const changes = project
      ? this.config.changes.filter((change) => (change.affectedProjects === '*' ? change.scope === project : change.affectedProjects.includes(project)))
      : this.config.changes;
    const commits: ChangelogCommit[] = changes.map((change) => ({
      type: change.type,
      scope: change.scope || undefined,
      description: change.description,
      body: change.body,
      isBreaking: !!change.isBreaking,
      breakingExplanation: breakingExplanation(change.body),
      shortHash: change.shortHash,
    }));
    const refresh = project ? readPackageRefresh(workspaceRoot, project) : undefined;
    // Only a refresh checked against the latest release describes this one.
    const refreshApplies =
      !!refresh && refresh.releasedVersion === latestRelease(await projectReleaseTagFormat(workspaceRoot, refresh.project), listTags(workspaceRoot));
    const entry = await renderChangelogEntry({
      version: this.config.changelogEntryVersion,
      sections: changelogSections(this.config.conventionalCommitsConfig),
      date: sourceDate().toISOString().slice(0, 10),
      commits,
      baseImages: (this.config.dependencyBumps ?? []).map((bump) => ({ image: imageName(bump.dependencyName), version: bump.newVersion })),
      movedPackages: refreshApplies ? refresh!.moved : undefined,
      repositoryUrl: this.config.changelogRenderOptions?.repositoryUrl ?? sourceUrl(workspaceRoot),
    });
    // Nx puts one blank line between this entry and the previous ones.
    return entry.trimEnd();
  }
}
