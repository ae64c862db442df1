import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './support/fixture-workspace';

const VARIANTS = ['agent-code-analysis', 'agent-data-science', 'agent-go', 'agent-node', 'agent-web-scraping'];

describe("this repo's image graph (a clone of the committed tree)", () => {
  const clone = mkdtempSync(join(tmpdir(), 'repo-graph-'));
  const run = (command: string, args: string[]) =>
    spawnSync(command, args, { cwd: clone, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' } });
  const nx = (...args: string[]) => run(process.execPath, [join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js'), ...args]);
  const affectedImages = () => {
    const result = nx('show', 'projects', '--affected', '--base=HEAD', '--withTarget=build-image', '--json');
    expect(result.status).toBe(0);
    return (JSON.parse(result.stdout) as string[]).sort();
  };

  beforeAll(() => {
    expect(run('git', ['clone', '-q', REPO_ROOT, '.']).status).toBe(0);
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
  });
  afterAll(() => rmSync(clone, { recursive: true, force: true }));

  it('draws python-runtime -> agent-base -> every variant from the FROM lines', () => {
    expect(nx('graph', '--file=graph.json').status).toBe(0);
    const dependencies = JSON.parse(readFileSync(join(clone, 'graph.json'), 'utf8')).graph.dependencies as Record<string, Array<{ target: string }>>;
    expect(dependencies['agent-base'].map((d) => d.target)).toContain('python-runtime');
    for (const variant of VARIANTS) expect(dependencies[variant].map((d) => d.target)).toEqual(['agent-base']);
  });

  it('a change to the base runtime affects the base and all five variants; a change to one variant, that one alone', () => {
    expect(affectedImages()).toEqual([]);
    appendFileSync(join(clone, 'images/base/agent/config.py'), '\n# a fix\n');
    expect(affectedImages()).toEqual(['agent-base', ...VARIANTS].sort());
    expect(run('git', ['checkout', '--', '.']).status).toBe(0);
    appendFileSync(join(clone, 'images/variants/go/Dockerfile'), '\n# a change\n');
    expect(affectedImages()).toEqual(['agent-go']);
  });
});
