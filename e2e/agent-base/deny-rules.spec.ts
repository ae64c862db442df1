import type { ActionInput, ActionResult } from '@taskforge/agent-contract';
import { repoImage } from '@taskforge/testing';
import { startAgent, startHarness, type Harness } from '@taskforge/agent-harness';

jest.setTimeout(10 * 60 * 1000);

// A deny rule cannot be walked around through an allowed program that runs programs, whatever name the program goes
// by. The control plane judges programs by name and accepts names it does not know: a link or a copy of setarch or
// sdiff in the workspace. The runtime decides from the image's files, so it refuses them next to the deny rule.

const run = (id: string, ...argv: string[]): ActionInput => ({ id, type: 'run_command', argv });

describe('openclaw-base: deny rules hold against programs that run programs, under any name', () => {
  let harness: Harness;
  beforeAll(async () => {
    await repoImage('agent-base');
    harness = await startHarness();
  });
  afterAll(() => harness?.dispose());

  it('a link or a copy of setarch or sdiff in the workspace, allowed by the policy, never runs what a deny rule forbids', async () => {
    const volume = `agent-aliases-${Date.now()}`;
    await harness.docker.createVolume({ Name: volume, Labels: { 'io.taskforge.test': 'agent-base' } });
    try {
      // First a task under the harness's permissive policy puts the aliases in the workspace.
      const setup = await harness.createTask([
        run('aliases', 'sh', '-c', 'ln -s /usr/bin/setarch tool && cp /usr/bin/setarch copy && ln -s /usr/bin/sdiff compare && echo keep > data.txt && ls'),
      ]);
      expect((await (await startAgent(harness, setup, {}, undefined, undefined, { workspaceVolume: volume })).exited).exitCode).toBe(0);
      expect((await harness.task(setup)).results[0]).toMatchObject({ status: 'succeeded', stdout: 'compare\ncopy\ndata.txt\ntool\n' });

      harness.writePolicy([
        { id: 'tools', effect: 'allow', actions: ['run_command'], commands: ['/workspace/tool *', '/workspace/copy *', '/workspace/compare *', 'cat *'] },
        { id: 'no-rm', effect: 'deny', actions: ['run_command'], commands: ['rm *'] },
      ]);
      const taskId = await harness.createTask([
        run('link', '/workspace/tool', 'x86_64', '/usr/bin/rm', 'data.txt'),
        run('copy', '/workspace/copy', 'x86_64', '/bin/sh', '-c', 'rm data.txt'),
        run('sdiff', '/workspace/compare', '--diff-program=/usr/bin/rm', 'data.txt', 'data.txt'),
        run('rm', 'rm', 'data.txt'),
        run('cat', 'cat', 'data.txt'),
      ]);
      const { exitCode } = await (await startAgent(harness, taskId, {}, undefined, undefined, { workspaceVolume: volume })).exited;
      expect(exitCode).toBe(0);
      const results = new Map((await harness.task(taskId)).results.map((r: ActionResult) => [r.action_id, r]));
      for (const id of ['link', 'copy', 'sdiff']) {
        expect({ id, status: results.get(id)!.status, rule: results.get(id)!.decision.matched_rule }).toEqual({ id, status: 'denied', rule: 'tools' });
        expect(results.get(id)!.decision.reason).toMatch(/is not a plain program of this image .* deny rule 'no-rm'/);
      }
      expect(results.get('link')!.decision.reason).toContain('/usr/bin/setarch (called as tool)');
      expect(results.get('rm')!.decision).toMatchObject({ allowed: false, matched_rule: 'no-rm' });
      // The file is still there, and plain programs still run under the same policy.
      expect(results.get('cat')).toMatchObject({ status: 'succeeded', stdout: 'keep\n' });
    } finally {
      await harness.docker.getVolume(volume).remove().catch(() => undefined);
    }
  });
});
