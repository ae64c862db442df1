import { readCachedProjectGraph, type NxJsonConfiguration, type ProjectGraph } from '@nx/devkit';
import { hashObject, PluginCache, workspaceDataDirectory } from '@nx/devkit/internal';
import { join } from 'node:path';
// Nx 23 exports no resolved release config from a public entry point; these are the functions `nx release` itself
// uses to name tags and to read nx.json (with "extends") outside an executor. (It resolves "release" with
// createNxReleaseConfig, loaded below only when needed: its module loads Nx's GitHub client, about 150 ms of CPU.)
import { ReleaseVersion } from 'nx/src/command-line/release/utils/shared';
import { readNxJson } from 'nx/src/config/nx-json';
import type { ImageWorkspace } from '@taskforge/image-model';
import type { ChangelogSection, ReleaseTagFormat } from '@taskforge/release';
import { UserError } from '@taskforge/user-errors';

/** The part of a release group that names its tags (Nx's ReleaseGroupWithName has it at run time). */
export interface ReleaseTagGroup {
  name: string;
  releaseTag: { pattern: string };
}

/**
 * The part of the release config Nx resolves that the plugin reads. Nx's own type (NxReleaseConfig, a deeply
 * mapped type) loses `releaseTag` and `groups` entries in its declarations, so this names what its value holds.
 */
export interface ResolvedReleaseConfig {
  groups: Record<string, ReleaseTagGroup & { projects: string[] }>;
  conventionalCommits: ConventionalCommitsConfig;
}

/** nx.json's `release.conventionalCommits` as Nx resolves it: its default types merged with nx.json's (what a changelog renderer gets). */
export interface ConventionalCommitsConfig {
  types: Record<string, { semverBump: string; changelog: { title: string; hidden: boolean } }>;
}

/**
 * nx.json's `release` as `nx release` resolves it for `graph`: defaults
 * filled in, projects matched into groups, each group's tag pattern, the
 * conventional commit types merged over Nx's own. The one source of every
 * release setting the plugin uses.
 */
export async function resolveReleaseConfig(graph: ProjectGraph, nxJson: NxJsonConfiguration | null | undefined): Promise<ResolvedReleaseConfig> {
  const { createNxReleaseConfig } = await import('nx/src/command-line/release/config/config');
  // The file map only serves Nx's default projects (libraries with a package.json), never an image.
  const { error, nxReleaseConfig } = await createNxReleaseConfig(graph, {}, nxJson?.release ?? {});
  if (error || !nxReleaseConfig) {
    throw new UserError(`nx.json: Nx cannot resolve "release" (${error?.code ?? 'no configuration'}); \`npx nx release --dry-run\` shows what to fix.`);
  }
  return nxReleaseConfig as unknown as ResolvedReleaseConfig;
}

/**
 * A project's release tag format (`agent-base@{version}`): its group's
 * `releaseTag.pattern` with the project's name and group filled in the way
 * Nx names the tags it creates, `{version}` left open.
 */
export function releaseTagFormatOf(group: ReleaseTagGroup, project: string): ReleaseTagFormat {
  // An empty version leaves `{version}` in place (Nx keeps placeholders it has no value for).
  return new ReleaseVersion({ version: '', releaseTagPattern: group.releaseTag.pattern, projectName: project, releaseGroupName: group.name }).gitTag;
}

/** The release tag format of `project` in `config`; undefined when no release group holds it. */
export function releaseTagFormatIn(config: ResolvedReleaseConfig, project: string): ReleaseTagFormat | undefined {
  const entry = Object.entries(config.groups).find(([, group]) => group.projects.includes(project));
  // Resolved groups carry no name of their own: the key is the name Nx interpolates as {releaseGroupName}.
  return entry ? releaseTagFormatOf({ name: entry[0], releaseTag: entry[1].releaseTag }, project) : undefined;
}

/**
 * The release tag format of `project` for code that runs outside `nx release`'s version actions (executors, the
 * changelog renderer): nx.json resolved over the project graph. Executors pass the graph and nx.json Nx gave them;
 * otherwise the cached graph and nx.json as Nx reads it.
 */
export async function projectReleaseTagFormat(
  workspaceRoot: string,
  project: string,
  from: { graph?: ProjectGraph; nxJson?: NxJsonConfiguration } = {},
): Promise<ReleaseTagFormat> {
  const config = await resolveReleaseConfig(from.graph ?? readCachedProjectGraph(), from.nxJson ?? readNxJson(workspaceRoot));
  const format = releaseTagFormatIn(config, project);
  if (!format) {
    throw new UserError(`nx.json: no release group holds ${project} (release.projects or release.groups), so it has no release tags: add it there, e.g. "projects": ["tag:type:image"].`);
  }
  return format;
}

/**
 * The release tag format of every image Nx releases, for createNodes, which runs before the project graph
 * exists: nx.json's release resolved over the images alone. A configuration that needs other projects to
 * resolve (a group of libraries only) gives no formats here; the release targets then never replay a tag step.
 * Kept in Nx's workspace data for the configuration and images it was resolved for, as Nx's own plugins keep
 * what their createNodes derive, so a graph computation resolves again only after one of them changed.
 */
export async function imageReleaseTagFormats(workspace: ImageWorkspace, nxJson: NxJsonConfiguration | undefined): Promise<Map<string, ReleaseTagFormat>> {
  if (!nxJson?.release) return new Map();
  const images = [...workspace.projects.values()].map((image) => ({ project: image.project, root: image.root, parents: image.parents }));
  const key = hashObject({ release: nxJson.release, images });
  const cachePath = join(workspaceDataDirectory, 'nx-images-release-tag-formats.hash');
  const cached = new PluginCache<Record<string, ReleaseTagFormat>>(cachePath).get(key);
  if (cached) return new Map(Object.entries(cached));

  const graph: ProjectGraph = { nodes: {}, dependencies: {} };
  for (const image of images) {
    // The tag image-targets gives every image project, so `tag:type:image` matches as it does in the full graph.
    graph.nodes[image.project] = { name: image.project, type: 'app', data: { root: image.root, tags: ['type:image'] } };
    graph.dependencies[image.project] = image.parents.map((parent) => ({ source: image.project, target: parent, type: 'static' }));
  }
  const formats = new Map<string, ReleaseTagFormat>();
  let config: ResolvedReleaseConfig | undefined;
  try {
    config = await resolveReleaseConfig(graph, nxJson);
  } catch {
    // Left empty (and cached so): see above.
  }
  for (const image of images) {
    const format = config && releaseTagFormatIn(config, image.project);
    if (format) formats.set(image.project, format);
  }
  // One entry: the configuration in force.
  new PluginCache(cachePath, { [key]: Object.fromEntries(formats) }).writeToDisk();
  return formats;
}

/**
 * The changelog sections nx.json's conventional commit types make, as Nx resolved them (its defaults merged with
 * nx.json's types): every type whose changelog is not hidden, under its title, in Nx's order.
 */
export function changelogSections(conventionalCommits: ConventionalCommitsConfig): ChangelogSection[] {
  return Object.entries(conventionalCommits.types)
    .filter(([, type]) => !type.changelog.hidden)
    .map(([type, config]) => ({ type, title: config.changelog.title }));
}
