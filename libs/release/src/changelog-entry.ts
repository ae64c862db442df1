export interface ChangelogCommit {
  /** Conventional type: feat, fix, perf, security, revert, chore, docs, ... */
  type: string;
  scope?: string;
  /** Subject line after "type(scope): ". */
  description: string;
  body?: string;
  isBreaking: boolean;
  /** Text of the BREAKING CHANGE footer when present. */
  breakingExplanation?: string;
  /** 7+ chars. */
  shortHash?: string;
}

/** A commit type the changelog lists, under its section title. */
export interface ChangelogSection {
  /** Conventional type: "feat". */
  type: string;
  /** Heading of its section: "Features". */
  title: string;
}

export interface ChangelogEntryInput {
  /** "1.0.1" */
  version: string;
  /**
   * The commit types listed, each under its title, in output order: nx.json's
   * `release.conventionalCommits.types` that are not hidden, as Nx resolves them.
   * Commits of other types are left out (a breaking one keeps its note).
   */
  sections: readonly ChangelogSection[];
  /** "2026-11-27" */
  date: string;
  commits: ChangelogCommit[];
  /** In-repo images this image is built FROM that moved in this release: "Built FROM openclaw-base 1.0.1". */
  baseImages?: { image: string; version: string }[];
  /** Debian packages that moved since the previous release ("libssl3 3.0.11-1 -> 3.0.13-1", "+name 1.2", "-name"). */
  movedPackages?: string[];
  /** https URL of the repository (e.g. from package.json "repository"); when set, commit hashes become links `<url>/commit/<hash>`. */
  repositoryUrl?: string;
}

/** The part of conventional-changelog-writer@7 used here; the package ships no type declarations. */
interface ChangelogWriter {
  parseArray(commits: WriterCommit[], context: object, options: object): Promise<string>;
}

interface WriterCommit {
  section?: string;
  scope?: string;
  subject: string;
  hash?: string;
  notes: { title: string; text: string }[];
}

// A typed `require` rather than `import = require`: without declarations the latter fails `tsc` (TS7016).
const writer = require('conventional-changelog-writer') as ChangelogWriter;

const mainTemplate = `{{> header}}
{{#each noteGroups}}
### {{title}}

{{#each notes}}
- {{text}}
{{/each}}

{{/each}}
{{#each commitGroups}}
{{#if title}}
### {{title}}

{{#each commits}}
{{> commit}}
{{/each}}

{{/if}}
{{/each}}
{{> footer}}`;

const headerPartial = `## {{version}} ({{date}})

`;

const commitPartial = `- {{#if scope}}**{{scope}}:** {{/if}}{{subject}}
{{~#if hash}} ({{#if @root.repoUrl}}[{{hash}}]({{@root.repoUrl}}/commit/{{hash}}){{else}}{{hash}}{{/if}}){{/if}}
`;

const footerPartial = `{{#if baseImages.length}}
### Base image

{{#each baseImages}}
- Built FROM {{image}} {{version}}
{{/each}}

{{/if}}
{{#if movedPackages.length}}
### Debian packages

{{packagesSummary}}

{{#each movedPackages}}
- \`{{this}}\`
{{/each}}

{{/if}}
{{#if nothingListed}}
- Rebuilt without source changes.
{{/if}}`;

/** Renders one release's CHANGELOG.md entry (markdown, starting at its H2). Resolves asynchronously because the writer does. */
export async function renderChangelogEntry(input: ChangelogEntryInput): Promise<string> {
  const titles = new Map(input.sections.map((section) => [section.type, section.title]));
  const order = [...new Set(titles.values())];
  const commits = input.commits
    .filter((c) => c.isBreaking || titles.has(c.type))
    .map(
      (c): WriterCommit => ({
        // Breaking commits of hidden types stay in for their note but get no section (the template skips untitled groups).
        section: titles.get(c.type),
        scope: c.scope,
        subject: c.description,
        hash: c.shortHash,
        notes: c.isBreaking ? [{ title: '⚠ Breaking changes', text: bulletText(c.breakingExplanation?.trim() || c.description) }] : [],
      }),
    );
  const baseImages = input.baseImages ?? [];
  const movedPackages = input.movedPackages ?? [];
  const n = movedPackages.length;

  const context = {
    version: input.version,
    date: input.date,
    repoUrl: normalizeRepositoryUrl(input.repositoryUrl),
    baseImages,
    movedPackages,
    packagesSummary: `${n} ${n === 1 ? 'package' : 'packages'} moved since the previous release:`,
    nothingListed: commits.length === 0 && baseImages.length === 0 && n === 0,
  };
  const options = {
    mainTemplate,
    headerPartial,
    commitPartial,
    footerPartial,
    groupBy: 'section',
    commitGroupsSort: (a: { title: string | false }, b: { title: string | false }) => rank(order, a.title) - rank(order, b.title),
    // Falsy sorts keep input order within sections and among breaking notes.
    commitsSort: false,
    notesSort: false,
    // The defaults would drop commits that a later `revert` undoes (we list reverts as given)
    // and would truncate hashes and read a `header` our commits do not have.
    ignoreReverted: false,
    transform: (commit: WriterCommit) => commit,
    // One entry per call: never split on commits carrying a version.
    generateOn: () => false,
  };

  const markdown = await writer.parseArray(commits, context, options);
  return `${markdown.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function rank(order: readonly string[], title: string | false): number {
  const i = title ? order.indexOf(title) : -1;
  return i === -1 ? order.length : i;
}

/** Indents continuation lines so a multi-line BREAKING CHANGE footer stays inside its bullet. */
function bulletText(text: string): string {
  return text.replace(/\n(?=.)/g, '\n  ');
}

/** "git+https://host/o/r.git" -> "https://host/o/r"; anything that is not http(s) gets no links. */
function normalizeRepositoryUrl(url: string | undefined): string | undefined {
  const cleaned = url
    ?.trim()
    .replace(/^git\+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  return cleaned && /^https?:\/\//.test(cleaned) ? cleaned : undefined;
}
