import type { ActionInput } from '@taskforge/agent-contract';
import { type Harness, type HarnessEngine, healthOf, startAgent, startHarness, waitFor } from '@taskforge/agent-harness';
import { median } from './measure';
import type { ResultsTable } from './results-table';

const ms = (value: number) => `${value.toFixed(0)} ms`;

async function startToFirstAction(harness: Harness): Promise<{ firstAction: number; healthy: number }> {
  const taskId = await harness.createTask([{ id: 'first', type: 'run_command', argv: ['echo', 'hi'] }], { closeWhenEmpty: false });
  const started = Date.now();
  const run = await startAgent(harness, taskId);
  await waitFor('the first result', async () => (await harness.task(taskId)).results[0]);
  const firstAction = Date.now() - started;
  await waitFor('healthy', async () => ((await healthOf(run.container)) === 'healthy' ? true : undefined), 30000);
  const healthy = Date.now() - started;
  await harness.close(taskId);
  await run.exited;
  return { firstAction, healthy };
}

/** Container start to first action and to `healthy`; end-to-end action throughput; idle memory. */
export async function benchAgentRuntime(table: ResultsTable, rounds: number, engine?: HarnessEngine, on = ''): Promise<void> {
  const harness = await startHarness({ engine });
  try {
    const starts = [];
    for (let i = 0; i < rounds; i += 1) starts.push(await startToFirstAction(harness));
    table.record(`agent: container start -> first action executed and reported (median of ${rounds}${on})`, ms(median(starts.map((s) => s.firstAction))));
    table.record(`agent: container start -> docker health "healthy" (median of ${rounds}; check interval 3 s, start interval 0.25 s where the engine has it${on})`, ms(median(starts.map((s) => s.healthy))));

    const count = 200;
    const actions: ActionInput[] = Array.from({ length: count }, (_, i) => ({ id: `a${i}`, type: 'run_command', argv: ['echo', String(i)] }));
    const taskId = await harness.createTask(actions);
    const run = await startAgent(harness, taskId);
    const { lines, exitCode } = await run.exited;
    if (exitCode !== 0) throw new Error(`throughput run exited ${exitCode}`);
    const results = (await harness.task(taskId)).results;
    const audits = lines.filter((l) => l.event === 'audit');
    const first = Date.parse(audits[0].ts);
    const last = Date.parse(lines.filter((l) => l.event === 'action_finished').at(-1)!.ts);
    const perSecond = (count - 1) / ((last - first) / 1000);
    const fetchMs = Number(lines.find((l) => l.event === 'policy_loaded')!.fields.fetch_ms);
    table.record(`agent: actions/s, fetch -> evaluate -> execute (echo) -> report, ${count} actions`, `${perSecond.toFixed(0)} actions/s (${results.length} results)`);
    table.record('agent: policy decision round trip per action', '0 ms (evaluated locally, no request)');
    table.record('agent: policy fetch round trip (refresh every 30 s by default)', `${fetchMs.toFixed(1)} ms`);

    const idleTask = await harness.createTask([], { closeWhenEmpty: false });
    const idle = await startAgent(harness, idleTask);
    await waitFor('registration', async () => (await harness.task(idleTask)).registered_agent ?? undefined);
    await new Promise((r) => setTimeout(r, 3000));
    const exec = await idle.container.exec({ Cmd: ['grep', 'VmRSS', '/proc/1/status'], User: '1001', AttachStdout: true });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const kb = Number(/VmRSS:\s+(\d+)/.exec(Buffer.concat(chunks).toString('latin1'))?.[1]);
    table.record('agent: runtime RSS while idle', `${(kb / 1024).toFixed(1)} MB`);
    await harness.close(idleTask);
    await idle.exited;
  } finally {
    await harness.dispose();
  }
}
