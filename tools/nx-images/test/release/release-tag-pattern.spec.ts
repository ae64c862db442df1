import type { NxJsonConfiguration, ProjectGraph } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { filterReleaseGroups } from 'nx/src/command-line/release/config/filter-release-groups';
import { createNxReleaseConfig } from 'nx/src/command-line/release/config/config';
import { createGitTagValues } from 'nx/src/command-line/release/utils/shared';
import type { ImageProject, ImageWorkspace } from '@taskforge/image-model';
import { releasedVersions, releaseTagName } from '@taskforge/release';
import { UserError } from '@taskforge/user-errors';
import { imageReleaseTagFormats, projectReleaseTagFormat, releaseTagFormatIn, resolveReleaseConfig } from '../../src/release/release-config';

// `nx release` creates tags from nx.json's release.releaseTag.pattern; the plugin plans, checks, pushes and reads
// them back (version logs, the tag step, publish, refresh) with the format it resolves from the same nx.json.
// Here both come from the same configuration, in memory: the tags Nx's own tagging code would create for a release
// are the tags the plugin names and reads back.

type Release = NonNullable<NxJsonConfiguration['release']>;

const IMAGES = [
  { project: 'agent-base', root: 'images/base', parents: [] as string[] },
  { project: 'agent-go', root: 'images/variants/go', parents: ['agent-base'] },
];

/** The images, as the plugin infers them (tag type:image), and a library next to them. */
function graph(): ProjectGraph {
  const nodes: ProjectGraph['nodes'] = {};
  for (const image of IMAGES) nodes[image.project] = { name: image.project, type: 'app', data: { root: image.root, tags: ['type:image'] } };
  nodes['release-lib'] = { name: 'release-lib', type: 'lib', data: { root: 'libs/release', tags: ['scope:libs'] } };
  return { nodes, dependencies: { 'agent-base': [], 'agent-go': [{ source: 'agent-go', target: 'agent-base', type: 'static' }], 'release-lib': [] } };
}

/** The image workspace createNodes has (only what the formats read). */
function imageWorkspace(): ImageWorkspace {
  const projects = new Map(IMAGES.map((image) => [image.project, { ...image } as unknown as ImageProject]));
  return { projects, byImage: new Map() };
}

/** The tags `nx release` creates for a release of every project at `version` (Nx's createGitTagValues). */
async function tagsNxCreates(release: Release, version: string): Promise<string[]> {
  const { nxReleaseConfig } = await createNxReleaseConfig(graph(), {}, release);
  const { releaseGroups, releaseGroupToFilteredProjects } = filterReleaseGroups(graph(), nxReleaseConfig!);
  const versionData = Object.fromEntries(IMAGES.map((image) => [image.project, { currentVersion: '0.9.0', newVersion: version, dependentProjects: [] }]));
  // The library is not released.
  versionData['release-lib'] = { currentVersion: '0.9.0', newVersion: null as unknown as string, dependentProjects: [] };
  return createGitTagValues(releaseGroups, releaseGroupToFilteredProjects, versionData);
}

const renderer = '@taskforge/nx-images/src/release/changelog-renderer.ts';
const repoRelease = (JSON.parse(readFileSync(resolve(__dirname, '../../../../nx.json'), 'utf8')) as { release: Release }).release;

describe('release tag names come from nx.json, as Nx resolves it', () => {
  it.each<[string, Release, string[]]>([
    ["this repo's nx.json", repoRelease, ['agent-base-v1.0.1', 'agent-go-v1.0.1']],
    ['releaseTag.pattern {projectName}@{version}', { ...repoRelease, releaseTag: { pattern: '{projectName}@{version}' } }, ['agent-base@1.0.1', 'agent-go@1.0.1']],
    ['no pattern, independent releases (Nx’s default)', { projects: ['tag:type:image'], projectsRelationship: 'independent' }, ['agent-base@1.0.1', 'agent-go@1.0.1']],
    [
      'a release group of the images with a pattern of its own, and one of libraries',
      {
        releaseTag: { pattern: 'v{version}' },
        groups: {
          images: { projects: ['tag:type:image'], projectsRelationship: 'independent', releaseTag: { pattern: '{releaseGroupName}/{projectName}/{version}' } },
          libraries: { projects: ['release-lib'] },
        },
      },
      ['images/agent-base/1.0.1', 'images/agent-go/1.0.1'],
    ],
  ])('%s: the plugin names and reads back the tags nx release creates', async (_case, release, tags) => {
    expect(await tagsNxCreates(release, '1.0.1')).toEqual(expect.arrayContaining(tags));
    const config = await resolveReleaseConfig(graph(), { release });
    for (const [index, image] of IMAGES.entries()) {
      const format = releaseTagFormatIn(config, image.project)!;
      expect(releaseTagName(format, '1.0.1')).toBe(tags[index]);
      // Its own tag only: not the other image's, nor a tag that is no version.
      expect(releasedVersions(format, [...tags, releaseTagName(format, 'next')])).toEqual(['1.0.1']);
    }
  });

  it('createNodes, which has no project graph yet, resolves the same formats over the images alone', async () => {
    const release: Release = { ...repoRelease, releaseTag: { pattern: '{projectName}@{version}' } };
    const formats = await imageReleaseTagFormats(imageWorkspace(), { release });
    expect(Object.fromEntries(formats)).toEqual({ 'agent-base': 'agent-base@{version}', 'agent-go': 'agent-go@{version}' });
  });

  it('createNodes knows no format when nx.json needs other projects to resolve (then the tag step is never replayed)', async () => {
    const release: Release = { groups: { images: { projects: ['tag:type:image'], projectsRelationship: 'independent' }, libraries: { projects: ['release-lib'] } } };
    expect((await imageReleaseTagFormats(imageWorkspace(), { release })).size).toBe(0);
    // The executors resolve over the whole graph, where it is fine.
    const config = await resolveReleaseConfig(graph(), { release });
    expect(releaseTagFormatIn(config, 'agent-go')).toBe('agent-go@{version}');
  });

  it('an image no release group holds is a one-line error naming nx.json and the fix', async () => {
    const release: Release = { projects: ['agent-base'], projectsRelationship: 'independent', changelog: { projectChangelogs: { renderer } } };
    const error = await projectReleaseTagFormat('/unused', 'agent-go', { graph: graph(), nxJson: { release } }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      'nx.json: no release group holds agent-go (release.projects or release.groups), so it has no release tags: add it there, e.g. "projects": ["tag:type:image"].',
    );
  });

  it('a release configuration Nx refuses is a one-line error naming nx.json', async () => {
    const release: Release = { projects: ['tag:type:image'], releaseTag: { pattern: '{projectName}' } };
    const error = await resolveReleaseConfig(graph(), { release }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/^nx\.json: Nx cannot resolve "release" \(RELEASE_GROUP_RELEASE_TAG_PATTERN_VERSION_PLACEHOLDER_MISSING_OR_EXCESSIVE\); /);
  });
});
