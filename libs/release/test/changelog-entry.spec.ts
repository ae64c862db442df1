import { ChangelogCommit, ChangelogEntryInput, ChangelogSection, renderChangelogEntry } from '../src/changelog-entry';

/** Listed types in the order and with the titles a workspace's nx.json could give (the plugin passes what Nx resolves). */
const SECTIONS: ChangelogSection[] = [
  { type: 'feat', title: 'Features' },
  { type: 'fix', title: 'Bug fixes' },
  { type: 'perf', title: 'Performance' },
  { type: 'security', title: 'Security' },
  { type: 'revert', title: 'Reverts' },
];

const commit = (type: string, description: string, extra: Partial<ChangelogCommit> = {}): ChangelogCommit => ({
  type,
  description,
  isBreaking: false,
  ...extra,
});

const entry = (extra: Partial<ChangelogEntryInput>): Promise<string> =>
  renderChangelogEntry({ version: '1.0.1', date: '2026-11-27', sections: SECTIONS, commits: [], ...extra });

/** "### " headings in output order. */
const headings = (markdown: string): string[] => markdown.split('\n').filter((l) => l.startsWith('### '));

describe('renderChangelogEntry', () => {
  it('groups commits into sections in the order of the sections given, keeping input order within a section', async () => {
    const md = await entry({
      commits: [
        commit('revert', 'undo the cache change'),
        commit('fix', 'second fix'),
        commit('security', 'pin openssl'),
        commit('feat', 'zeta feature'),
        commit('perf', 'faster layer walk'),
        commit('fix', 'a first-alphabetically fix'),
        commit('feat', 'alpha feature'),
      ],
    });
    expect(md).toBe(
      [
        '## 1.0.1 (2026-11-27)',
        '',
        '### Features',
        '',
        '- zeta feature',
        '- alpha feature',
        '',
        '### Bug fixes',
        '',
        '- second fix',
        '- a first-alphabetically fix',
        '',
        '### Performance',
        '',
        '- faster layer walk',
        '',
        '### Security',
        '',
        '- pin openssl',
        '',
        '### Reverts',
        '',
        '- undo the cache change',
        '',
      ].join('\n'),
    );
  });

  it('lists breaking commits first, by footer text or else description, including hidden types', async () => {
    const md = await entry({
      commits: [
        commit('feat', 'new entrypoint', { isBreaking: true, breakingExplanation: 'The image now starts `tf-agent` instead of `bash`.' }),
        commit('fix', 'a plain fix'),
        commit('chore', 'drop Node 18', { isBreaking: true }),
        commit('fix', 'rename env var', { isBreaking: true, breakingExplanation: 'TF_HOME is now TASKFORGE_HOME.\n\nSet both during the migration.' }),
      ],
    });
    expect(headings(md)).toEqual(['### ⚠ Breaking changes', '### Features', '### Bug fixes']);
    expect(md).toContain(
      [
        '### ⚠ Breaking changes',
        '',
        '- The image now starts `tf-agent` instead of `bash`.',
        '- drop Node 18',
        '- TF_HOME is now TASKFORGE_HOME.',
        '',
        '  Set both during the migration.',
        '',
        '### Features',
      ].join('\n'),
    );
    // The breaking commit still appears in its own section; the hidden type does not get one.
    expect(md).toContain('### Features\n\n- new entrypoint\n');
    expect(md).toContain('### Bug fixes\n\n- a plain fix\n- rename env var\n');
    expect(md.split('\n').filter((l) => l === '- drop Node 18')).toHaveLength(1);
  });

  it('takes every title and the order of the sections from the sections given', async () => {
    const md = await entry({
      sections: [
        { type: 'security', title: 'Security fixes' },
        { type: 'feat', title: 'New features' },
        { type: 'deps', title: 'Dependencies' },
      ],
      commits: [commit('feat', 'a feature'), commit('fix', 'a fix nobody lists'), commit('deps', 'bump jq'), commit('security', 'pin openssl')],
    });
    expect(md).toBe(
      [
        '## 1.0.1 (2026-11-27)',
        '',
        '### Security fixes',
        '',
        '- pin openssl',
        '',
        '### New features',
        '',
        '- a feature',
        '',
        '### Dependencies',
        '',
        '- bump jq',
        '',
      ].join('\n'),
    );
  });

  it('does not list chore, docs, test, ci, build, refactor or style commits', async () => {
    const hidden = ['chore', 'docs', 'test', 'ci', 'build', 'refactor', 'style'].map((t) => commit(t, `${t} change`, { shortHash: 'abc1234' }));
    const md = await entry({ commits: [...hidden, commit('feat', 'visible')] });
    expect(md).toBe('## 1.0.1 (2026-11-27)\n\n### Features\n\n- visible\n');
  });

  it('bolds the scope only when present and shows plain hashes without a repository URL', async () => {
    const md = await entry({
      commits: [
        commit('fix', 'scoped', { scope: 'rootfs', shortHash: 'abc1234' }),
        commit('fix', 'unscoped', { shortHash: 'def5678' }),
        commit('fix', 'no hash'),
      ],
    });
    expect(md).toContain('### Bug fixes\n\n- **rootfs:** scoped (abc1234)\n- unscoped (def5678)\n- no hash\n');
  });

  it.each([
    ['https://github.com/acme/agent-images'],
    ['https://github.com/acme/agent-images.git'],
    ['git+https://github.com/acme/agent-images.git'],
    ['https://github.com/acme/agent-images/'],
  ])('links hashes to <url>/commit/<hash> for repository %s', async (repositoryUrl) => {
    const md = await entry({ repositoryUrl, commits: [commit('feat', 'linked', { scope: 'cli', shortHash: 'abc1234' })] });
    expect(md).toContain('- **cli:** linked ([abc1234](https://github.com/acme/agent-images/commit/abc1234))\n');
  });

  it('leaves hashes unlinked for a repository that is not an http(s) URL', async () => {
    const md = await entry({ repositoryUrl: 'git@github.com:acme/agent-images.git', commits: [commit('feat', 'x', { shortHash: 'abc1234' })] });
    expect(md).toContain('- x (abc1234)\n');
  });

  it('renders base image and Debian package sections after the commit sections', async () => {
    const md = await entry({
      commits: [commit('fix', 'a fix')],
      baseImages: [{ image: 'openclaw-base', version: '1.0.1' }],
      movedPackages: ['libssl3 3.0.11-1 -> 3.0.13-1', '+jq 1.7.1-3', '-wget'],
    });
    expect(md).toBe(
      [
        '## 1.0.1 (2026-11-27)',
        '',
        '### Bug fixes',
        '',
        '- a fix',
        '',
        '### Base image',
        '',
        '- Built FROM openclaw-base 1.0.1',
        '',
        '### Debian packages',
        '',
        '3 packages moved since the previous release:',
        '',
        '- `libssl3 3.0.11-1 -> 3.0.13-1`',
        '- `+jq 1.7.1-3`',
        '- `-wget`',
        '',
      ].join('\n'),
    );
  });

  it('says "1 package" for a single moved package and needs no commits', async () => {
    const md = await entry({ commits: [commit('chore', 'bump')], movedPackages: ['tzdata 2024a-0 -> 2024b-0'] });
    expect(md).toBe('## 1.0.1 (2026-11-27)\n\n### Debian packages\n\n1 package moved since the previous release:\n\n- `tzdata 2024a-0 -> 2024b-0`\n');
  });

  it('renders an entry with nothing to list as a rebuild', async () => {
    expect(await entry({ commits: [] })).toBe('## 1.0.1 (2026-11-27)\n\n- Rebuilt without source changes.\n');
    expect(await entry({ commits: [commit('chore', 'bump deps'), commit('docs', 'typo')], baseImages: [], movedPackages: [] })).toBe(
      '## 1.0.1 (2026-11-27)\n\n- Rebuilt without source changes.\n',
    );
  });
});
