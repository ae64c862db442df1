import { releaseReferences } from '../../src/release/release-references';

// Publish planning as a pure function: which registry references a release of an image gets, given the repository's tag names.

const REGISTRY = 'registry.test:5000';
// The release tag format Nx resolves from nx.json's release.releaseTag.pattern `{projectName}@{version}`.
const GO = { name: 'openclaw-agent-go', tagFormat: 'agent-go@{version}' };
const tagsOf = (project: string, versions: string[]) => versions.map((version) => `${project}@${version}`);

describe('releaseReferences', () => {
  it.each([
    ['the first release', '1.0.0', [], ['1.0.0', '1.0', '1', 'latest']],
    ['the first release, already tagged (publish runs after tagging)', '1.0.0', tagsOf('agent-go', ['1.0.0']), ['1.0.0', '1.0', '1', 'latest']],
    ['a patch on the newest line', '1.0.1', tagsOf('agent-go', ['1.0.0', '1.0.1']), ['1.0.1', '1.0', '1', 'latest']],
    ['a minor on the newest line', '1.1.0', tagsOf('agent-go', ['1.0.0', '1.0.1']), ['1.1.0', '1.1', '1', 'latest']],
    ['a hotfix of an older minor line', '1.0.2', tagsOf('agent-go', ['1.0.0', '1.0.1', '1.1.0']), ['1.0.2', '1.0']],
    ['a hotfix of an older major line', '1.1.1', tagsOf('agent-go', ['1.1.0', '2.0.0']), ['1.1.1', '1.1', '1']],
    ['a major', '2.0.0', tagsOf('agent-go', ['1.0.0', '1.1.0']), ['2.0.0', '2.0', '2', 'latest']],
    ['a prerelease (moves no line)', '2.0.0-rc.1', tagsOf('agent-go', ['1.0.0']), ['2.0.0-rc.1']],
    ['a release after a higher prerelease (prereleases lead no line)', '1.1.0', tagsOf('agent-go', ['1.0.0', '2.0.0-rc.1']), ['1.1.0', '1.1', '1', 'latest']],
    ['a release when other images have higher versions', '1.0.0', [...tagsOf('agent-base', ['3.0.0']), ...tagsOf('agent-go-tools', ['9.0.0'])], ['1.0.0', '1.0', '1', 'latest']],
    ['a release next to tags that are no release', '1.0.0', ['agent-go@next', 'v2.0.0', 'agent-go-2.0.0', 'agent-go@v2.0.0'], ['1.0.0', '1.0', '1', 'latest']],
    ['a release next to tags of another pattern (not read: nx.json names the tags)', '1.0.0', ['agent-go-v2.0.0'], ['1.0.0', '1.0', '1', 'latest']],
  ])('%s: %s, with tags %j', (_case, version, tagNames, tags) => {
    expect(releaseReferences(REGISTRY, GO, version, tagNames)).toEqual(tags.map((tag) => `${REGISTRY}/openclaw-agent-go:${tag}`));
  });

  it('reads released versions from the tags of the format it is given', () => {
    const withTagFormat = { ...GO, tagFormat: 'agent-go-v{version}' };
    expect(releaseReferences(REGISTRY, withTagFormat, '1.0.2', ['agent-go-v1.1.0', 'agent-go@2.0.0'])).toEqual([`${REGISTRY}/openclaw-agent-go:1.0.2`, `${REGISTRY}/openclaw-agent-go:1.0`]);
  });

  it('puts X.Y.Z first: publish pushes it before the lines and refuses to replace it', () => {
    expect(releaseReferences('localhost:5000', GO, '3.2.1', [])[0]).toBe('localhost:5000/openclaw-agent-go:3.2.1');
  });
});
