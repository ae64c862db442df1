import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { releasedVersions, releaseTagName } from '@taskforge/release';

// Nx release writes tags from nx.json's pattern; the plugin reads them back (current versions, publish, refresh) with
// releaseTagName. If the two ever differ, a release would tag one name and every later step look for another.
const nxJson = JSON.parse(readFileSync(resolve(__dirname, '../../../../nx.json'), 'utf8')) as { release: { releaseTag: { pattern: string } } };
const nxTag = (projectName: string, version: string) =>
  nxJson.release.releaseTag.pattern.replace(/\{projectName\}/g, projectName).replace(/\{version\}/g, version);

describe("the release tag pattern in this repo's nx.json", () => {
  it.each([
    ['agent-base', '1.0.0'],
    ['agent-data-science', '2.10.3'],
    ['python-runtime', '1.0.0-rc.1'],
  ])('%s %s: the tag Nx writes is the tag the plugin reads', (project, version) => {
    expect(releaseTagName(project, version)).toBe(nxTag(project, version));
    expect(releasedVersions(project, [nxTag(project, version)])).toEqual([version]);
  });
});
