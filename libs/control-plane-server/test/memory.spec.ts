import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AGENT, result, startControlPlane } from './support';

// A full collection on demand, so the heap is measured by what is still reachable, not by what waits to be collected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const MiB = 1024 * 1024;

jest.setTimeout(120_000);

it('results live in the database, not in the heap: 40 results of 3 MiB leave the heap about where it was', async () => {
  const cp = await startControlPlane({ maxTaskBytes: 1024 * MiB });
  try {
    const count = 40;
    const { taskId, agentToken } = await cp.createTask({ actions: Array.from({ length: count }, (_, i) => ({ id: `a${i}`, type: 'list_files' })) });
    await cp.call('POST', `/v1/tasks/${taskId}/register`, { agent: AGENT }, agentToken);
    const before = heapUsed();
    for (let i = 0; i < count; i++) {
      await cp.call('GET', `/v1/tasks/${taskId}/actions/next`, undefined, agentToken);
      const body = JSON.stringify(result(`a${i}`, { stdout: String(i % 10).repeat(3 * MiB) }));
      expect((await cp.call('POST', `/v1/tasks/${taskId}/actions/a${i}/result`, body, agentToken)).status).toBe(200);
    }
    const grown = heapUsed() - before;
    // Held in memory, they would be 120 MiB (more as JS strings); a few MiB of the server's own buffers and caches may stay.
    expect(grown).toBeLessThan(24 * MiB);
    expect(await cp.tasks.storedBytes()).toBeGreaterThan(count * 3 * MiB);
  } finally {
    await cp.app.close();
  }
});
