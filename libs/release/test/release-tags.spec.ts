import { latestRelease, registryTagsForRelease, releasedVersions, releaseTagName } from '../src/release-tags';
import { pinnedVersion, repinImage } from '../src/dockerfile-pins';

describe('release tags', () => {
  it.each([
    ['agent-base@{version}', 'agent-base@1.0.1'],
    ['agent-base-v{version}', 'agent-base-v1.0.1'],
    ['v{version}', 'v1.0.1'],
    ['release/agent-base/{version}/image', 'release/agent-base/1.0.1/image'],
  ])('names the tag of a version with the format %s', (format, tag) => {
    expect(releaseTagName(format, '1.0.1')).toBe(tag);
  });

  it('reads back the versions of its own tags, ignoring other projects, other formats and non-semver tags', () => {
    const tags = ['agent-base@1.0.0', 'agent-base@1.1.0', 'agent-base@next', 'agent-base-ds@9.0.0', 'agent-go@2.0.0', 'agent-base-v3.0.0', 'agent-base@v4.0.0'];
    expect(releasedVersions('agent-base@{version}', tags)).toEqual(['1.0.0', '1.1.0']);
    expect(releasedVersions('agent-base-v{version}', tags)).toEqual(['3.0.0']);
    expect(releasedVersions('release/agent-base/{version}/image', ['release/agent-base/1.2.3/image', 'release/agent-base/1.2.3', 'release/agent-base/x/image'])).toEqual(['1.2.3']);
  });

  it('finds the latest release, or the latest below a version, by semver order', () => {
    const tags = ['agent-go@1.10.0', 'agent-go@1.9.0', 'agent-go@2.0.0', 'agent-base@9.0.0'];
    expect(latestRelease('agent-go@{version}', tags)).toBe('2.0.0');
    expect(latestRelease('agent-go@{version}', tags, '2.0.0')).toBe('1.10.0');
    expect(latestRelease('agent-go@{version}', tags, '1.9.0')).toBeUndefined();
    expect(latestRelease('agent-node@{version}', tags)).toBeUndefined();
  });

  it('refuses a format without exactly one {version}', () => {
    expect(() => releaseTagName('agent-base', '1.0.0')).toThrow('release tag format "agent-base" must hold {version} exactly once');
    expect(() => releasedVersions('{version}-{version}', [])).toThrow('exactly once');
  });

  it('moves X.Y, X and latest only while the release is the highest of each line', () => {
    expect(registryTagsForRelease('1.0.1', ['1.0.0'])).toEqual(['1.0.1', '1.0', '1', 'latest']);
    // A hotfix of an old line: its own X.Y only.
    expect(registryTagsForRelease('1.0.2', ['1.0.1', '1.1.0', '2.0.0'])).toEqual(['1.0.2', '1.0']);
    expect(registryTagsForRelease('1.1.1', ['1.1.0', '2.0.0'])).toEqual(['1.1.1', '1.1', '1']);
    expect(registryTagsForRelease('2.0.0', ['1.9.9'])).toEqual(['2.0.0', '2.0', '2', 'latest']);
    // Prereleases move no line and are not counted as higher.
    expect(registryTagsForRelease('3.0.0-rc.1', ['2.0.0'])).toEqual(['3.0.0-rc.1']);
    expect(registryTagsForRelease('2.0.1', ['2.0.0', '3.0.0-rc.1'])).toEqual(['2.0.1', '2.0', '2', 'latest']);
  });
});

describe('Dockerfile pins', () => {
  const dockerfile = [
    'ARG BASE_IMAGE=openclaw-base:1.0.0',
    'FROM ${BASE_IMAGE}',
    'COPY --from=openclaw-base:1.0.0 /etc/passwd /tmp/passwd',
    'FROM openclaw-base-extra:1.0.0 AS extra',
    'RUN echo "openclaw-base:1.0.0 is mentioned in a command"',
    '# openclaw-base:1.0.0 in a comment',
    'LABEL x="openclaw-base:1.0.0"',
    '',
  ].join('\n');

  it('moves every pinned reference to the image in ARG, FROM, COPY --from and RUN lines, and nothing else', () => {
    const { text, changedLines } = repinImage(dockerfile, 'openclaw-base', '1.0.1');
    expect(changedLines).toEqual([1, 3, 5]);
    expect(text.split('\n')[0]).toBe('ARG BASE_IMAGE=openclaw-base:1.0.1');
    expect(text.split('\n')[2]).toBe('COPY --from=openclaw-base:1.0.1 /etc/passwd /tmp/passwd');
    expect(text).toContain('FROM openclaw-base-extra:1.0.0 AS extra'); // another image whose name starts the same
    expect(text).toContain('# openclaw-base:1.0.0 in a comment');
    expect(text).toContain('LABEL x="openclaw-base:1.0.0"');
  });

  it('reads the pinned version, or null when the image is not pinned', () => {
    expect(pinnedVersion(dockerfile, 'openclaw-base')).toBe('1.0.0');
    expect(pinnedVersion('FROM openclaw-base@sha256:abc\n', 'openclaw-base')).toBeNull();
    expect(pinnedVersion('FROM other:1.0.0\n', 'openclaw-base')).toBeNull();
  });
});
