import { mkdtempSync, readFileSync, rmSync, symlinkSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, run, runNx } from '@taskforge/testing';

const VARIANTS = ['agent-code-analysis', 'agent-data-science', 'agent-go', 'agent-node', 'agent-web-scraping'];

describe("this repo's image graph (a clone of the committed tree)", () => {
  const clone = mkdtempSync(join(tmpdir(), 'repo-graph-'));
  const git = (...args: string[]) => run('git', args, clone);
  const nx = (...args: string[]) => runNx(args, clone);
  const affected = (target: string) => {
    const result = nx('show', 'projects', '--affected', '--base=HEAD', `--withTarget=${target}`, '--json');
    expect(result.code).toBe(0);
    return (JSON.parse(result.stdout) as string[]).sort();
  };
  const affectedImages = () => affected('build-image');
  const affectedE2e = () => affected('test').filter((project) => project.endsWith('-e2e'));

  beforeAll(() => {
    expect(git('clone', '-q', REPO_ROOT, '.').code).toBe(0);
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
  });
  afterAll(() => rmSync(clone, { recursive: true, force: true }));

  it('draws python-runtime -> agent-base -> every variant from the FROM lines', () => {
    expect(nx('graph', '--file=graph.json').code).toBe(0);
    const dependencies = JSON.parse(readFileSync(join(clone, 'graph.json'), 'utf8')).graph.dependencies as Record<string, Array<{ target: string }>>;
    // An image depends on images only: the workspace code its e2e tests import belongs to their own project (e2e/),
    // so a commit to tooling neither marks an image affected nor releases it.
    const edges = (project: string) => dependencies[project].map((d) => d.target).sort();
    expect(edges('python-runtime')).toEqual([]);
    expect(edges('agent-base')).toEqual(['python-runtime']);
    for (const variant of VARIANTS) expect(edges(variant)).toEqual(['agent-base']);
    expect(edges('agent-base-e2e')).toContain('agent-base');
    expect(edges('agent-variants-e2e')).toEqual(expect.arrayContaining(VARIANTS));
    expect(edges('nx-images-e2e')).toEqual(expect.arrayContaining(['nx-images', 'python-runtime']));
  });

  it('a change to the base runtime affects the base, all five variants and the e2e tests that run them (the image-builder builds FROM it); a change to one variant, that one and the variants e2e', () => {
    expect(affectedImages()).toEqual([]);
    appendFileSync(join(clone, 'images/base/agent/config.py'), '\n# a fix\n');
    expect(affectedImages()).toEqual(['agent-base', ...VARIANTS].sort());
    expect(affectedE2e()).toEqual(['agent-base-e2e', 'agent-variants-e2e', 'engines-e2e', 'image-builder-e2e']);
    expect(git('checkout', '--', '.').code).toBe(0);
    appendFileSync(join(clone, 'images/variants/go/Dockerfile'), '\n# a change\n');
    expect(affectedImages()).toEqual(['agent-go']);
    expect(affectedE2e()).toEqual(['agent-variants-e2e']);
  });
});
