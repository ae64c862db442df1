import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionInput } from '@taskforge/agent-contract';
import { inspectLocalImage } from '@taskforge/engine';
import { REPO_ROOT, repoImage } from '@taskforge/testing';
import { healthOf, startAgent, startHarness, waitFor, type Harness } from '@taskforge/agent-harness';

jest.setTimeout(5 * 60 * 1000);

/** Every image built FROM the base, with an action that uses what it adds. */
const VARIANTS: Array<{ project: string; dir: string; action: ActionInput; expect: RegExp }> = [
  { project: 'agent-data-science', dir: 'data-science', action: { id: 'use', type: 'run_command', argv: ['python3', '-c', 'import pandas, sklearn; print(pandas.DataFrame({"a": [1, 2]}).a.sum())'] }, expect: /^3\n$/ },
  { project: 'agent-web-scraping', dir: 'web-scraping', action: { id: 'use', type: 'run_command', argv: ['python3', '-c', 'import bs4, requests, lxml; print(bs4.BeautifulSoup("<p>ok</p>", "lxml").p.text)'] }, expect: /^ok\n$/ },
  { project: 'agent-code-analysis', dir: 'code-analysis', action: { id: 'use', type: 'run_command', argv: ['sh', '-c', 'git --version && rg --version | head -1'] }, expect: /^git version 2\.39.*\nripgrep 13/ },
  { project: 'agent-node', dir: 'node', action: { id: 'use', type: 'run_command', argv: ['sh', '-c', 'node -e "console.log(6 * 7)"'] }, expect: /^42\n$/ },
  { project: 'agent-go', dir: 'go', action: { id: 'use', type: 'run_command', argv: ['sh', '-c', 'go version'] }, expect: /^go version go1\.19/ },
];

const imageOf = (dir: string) => {
  const root = join(REPO_ROOT, 'images/variants', dir);
  return `${JSON.parse(readFileSync(join(root, 'image.json'), 'utf8')).name}:${readFileSync(join(root, 'VERSION'), 'utf8').trim()}`;
};

describe('every variant keeps the base contract under the hardened profile', () => {
  let harness: Harness;
  beforeAll(async () => {
    for (const variant of VARIANTS) await repoImage(variant.project);
    harness = await startHarness();
  });
  afterAll(() => harness?.dispose());

  it.each(VARIANTS)('$project: UID 1001, the runtime as entrypoint running a task, health check, read-only root', async (variant) => {
    const image = imageOf(variant.dir);
    const info = await inspectLocalImage(harness.docker, image);
    expect(info!.user).toBe('1001');
    const taskId = await harness.createTask([variant.action, { id: 'write', type: 'write_file', path: 'out.txt', content: 'ok' }], { closeWhenEmpty: false });
    const run = await startAgent(harness, taskId, {}, undefined, image);
    await waitFor('both results', async () => ((await harness.task(taskId)).results.length === 2 ? true : undefined), 120000);
    await waitFor('healthy', async () => ((await healthOf(run.container)) === 'healthy' ? true : undefined), 30000);
    await harness.close(taskId);
    const { exitCode } = await run.exited;
    expect(exitCode).toBe(0);
    const results = (await harness.task(taskId)).results;
    const use = results.find((r) => r.action_id === 'use')!;
    expect(use.status).toBe('succeeded');
    expect(use.stdout).toMatch(variant.expect);
    expect(results.find((r) => r.action_id === 'write')!.status).toBe('succeeded');
  });
});
