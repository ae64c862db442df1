import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineForTests, removeImagesNamed, REPO_ROOT, run, runNx } from '@taskforge/testing';

jest.setTimeout(15 * 60 * 1000);

describe('nx g @taskforge/nx-images:variant, for real', () => {
  const clone = mkdtempSync(join(tmpdir(), 'variant-e2e-'));
  const git = (...args: string[]) => run('git', args, clone);
  const nx = (...args: string[]) => runNx(args, clone);

  beforeAll(async () => {
    await engineForTests();
    expect(git('clone', '-q', REPO_ROOT, '.').code).toBe(0);
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
  });
  afterAll(async () => {
    await removeImagesNamed('openclaw-agent-jq-tools');
    rmSync(clone, { recursive: true, force: true });
  });

  it('generates a variant that shows up in the graph, builds, passes test-image, and goes away when removed', () => {
    const generated = nx('g', '@taskforge/nx-images:variant', 'jq-tools', '--packages=jq', '--no-interactive');
    expect(generated.code).toBe(0);
    expect(existsSync(join(clone, 'images/variants/jq-tools/Dockerfile'))).toBe(true);

    expect(nx('graph', '--file=graph.json').code).toBe(0);
    const graph = JSON.parse(readFileSync(join(clone, 'graph.json'), 'utf8')).graph;
    expect(graph.dependencies['agent-jq-tools'].map((d: { target: string }) => d.target)).toEqual(['agent-base']);

    const tested = nx('run', 'agent-jq-tools:test-image', '--output-style=static');
    expect(tested.code).toBe(0);
    expect(tested.output).toContain('[agent-jq-tools] 7 passed, 0 failed');
    expect(tested.output).toContain('test_requested_packages_are_installed');

    rmSync(join(clone, 'images/variants/jq-tools'), { recursive: true });
    expect(JSON.parse(nx('show', 'projects', '--json').stdout)).not.toContain('agent-jq-tools');
  });

  it('refuses a name that collides with an existing project, in one line, changing nothing', () => {
    const refused = nx('g', '@taskforge/nx-images:variant', 'go', '--packages=golang-go', '--no-interactive');
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('a project named "agent-go" already exists (images/variants/go): choose another variant name.');
    expect(refused.output).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(git('status', '--porcelain').stdout.trim()).toBe('');
  });
});
