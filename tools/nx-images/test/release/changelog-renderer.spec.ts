import type { NxJsonConfiguration, ProjectGraph } from '@nx/devkit';
import type { ChangelogChange } from 'nx/release/changelog-renderer';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ImageChangelogRenderer from '../../src/release/changelog-renderer';
import { resolveReleaseConfig } from '../../src/release/release-config';

// The changelog renderer takes its section titles, and which commit types it lists, from the conventional commit
// types Nx resolves from nx.json (what `nx release changelog` passes it as conventionalCommitsConfig).

type Release = NonNullable<NxJsonConfiguration['release']>;

const repoRelease = (JSON.parse(readFileSync(resolve(__dirname, '../../../../nx.json'), 'utf8')) as { release: Release }).release;
// A project of no workspace, so no refresh record in this repo's dist/ applies to it.
const graph: ProjectGraph = { nodes: { 'renderer-test-image': { name: 'renderer-test-image', type: 'app', data: { root: 'images/variants/go', tags: ['type:image'] } } }, dependencies: {} };

const change = (type: string, description: string): ChangelogChange => ({
  type,
  scope: '',
  description,
  body: '',
  isBreaking: false,
  affectedProjects: ['renderer-test-image'],
  githubReferences: [],
  authors: [],
  shortHash: 'abc1234',
});
const CHANGES = [change('feat', 'a feature'), change('fix', 'a fix'), change('security', 'pin openssl')];

async function render(release: Release): Promise<string> {
  const { conventionalCommits } = await resolveReleaseConfig(graph, { release });
  const renderer = new ImageChangelogRenderer({
    changes: CHANGES,
    changelogEntryVersion: '1.1.0',
    project: 'renderer-test-image',
    // Links would come from this repo's package.json; the titles are what is under test.
    changelogRenderOptions: { repositoryUrl: '' },
    conventionalCommitsConfig: conventionalCommits,
  });
  return renderer.render();
}

const headings = (markdown: string) => markdown.split('\n').filter((line) => line.startsWith('### '));

describe('the changelog renderer', () => {
  it("titles sections as this repo's nx.json names the types", async () => {
    expect(headings(await render(repoRelease))).toEqual(['### Features', '### Bug fixes', '### Security']);
  });

  it('uses a title changed in nx.json', async () => {
    const types = { ...repoRelease.conventionalCommits!.types, feat: { changelog: { title: 'New features' } } };
    const markdown = await render({ ...repoRelease, conventionalCommits: { types } });
    expect(headings(markdown)).toEqual(['### New features', '### Bug fixes', '### Security']);
    expect(markdown).toContain('### New features\n\n- a feature (abc1234)\n');
  });

  it("falls back to Nx's own title for a type nx.json does not name", async () => {
    const types = Object.fromEntries(Object.entries(repoRelease.conventionalCommits!.types!).filter(([type]) => type !== 'feat'));
    const markdown = await render({ ...repoRelease, conventionalCommits: { types } });
    expect(headings(markdown)[0]).toBe('### 🚀 Features');
  });
});
