import type { ActionInput, ActionResult } from '@taskforge/agent-contract';
import { repoImage } from '@taskforge/testing';
import { startAgent, startHarness, type Harness } from '@taskforge/agent-harness';

jest.setTimeout(10 * 60 * 1000);

// The task's commands can reach what its runtime reaches: the control plane's socket mounted at /run/taskforge. That
// socket is the task's own: it speaks for that task only and takes a few connections at once, so a command can
// neither act for another task nor exhaust the control plane that serves them all.

const python = (id: string, script: string): ActionInput => ({ id, type: 'run_command', argv: ['python3', '-c', script], timeout_s: 60 });

const probe = (otherTask: string) => `
import json, socket, time
path = '/run/taskforge/control-plane.sock'
def ask(method, target):
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(path)
    s.sendall(f'{method} {target} HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'.encode())
    answer = b''
    while chunk := s.recv(65536):
        answer += chunk
    return int(answer.split(b' ', 2)[1])
report = {
    'other task': ask('GET', '/v1/tasks/${otherTask}/policy'),
    'operator route': ask('GET', '/v1/tasks/${otherTask}'),
    'create a task': ask('POST', '/v1/tasks'),
}
held, refused = [], 0
for _ in range(200):
    s = socket.socket(socket.AF_UNIX); s.settimeout(2)
    try:
        s.connect(path)
        held.append(s)
    except OSError:
        refused += 1
time.sleep(1)
open_ones = 0
for s in held:
    s.setblocking(False)
    try:
        open_ones += s.recv(1) != b''
    except BlockingIOError:
        open_ones += 1
    except OSError:
        pass
report['connections still open of 200'] = open_ones
print(json.dumps(report))
`;

describe('openclaw-base: the control plane socket is the task\'s own', () => {
  let harness: Harness;
  beforeAll(async () => {
    await repoImage('agent-base');
    harness = await startHarness();
  });
  afterAll(() => harness?.dispose());

  it('a command acts for no other task, reaches no operator route and cannot flood the control plane, while another task is served', async () => {
    const other = await harness.createTask([{ id: 'hello', type: 'run_command', argv: ['echo', 'other task'] }], { closeWhenEmpty: false });
    const taskId = await harness.createTask([python('probe', probe(other)), { id: 'after', type: 'run_command', argv: ['echo', 'still served'] }]);
    const otherRun = await startAgent(harness, other);
    const { exitCode } = await (await startAgent(harness, taskId)).exited;
    expect(exitCode).toBe(0);
    const results = new Map((await harness.task(taskId)).results.map((r: ActionResult) => [r.action_id, r]));
    const report = JSON.parse(results.get('probe')!.stdout!) as Record<string, number>;
    expect(report).toMatchObject({ 'other task': 403, 'operator route': 403, 'create a task': 403 });
    // The socket's cap (8, its runtime holding two of them) is all a flood gets; the runtime goes on over its own.
    expect(report['connections still open of 200']).toBeLessThanOrEqual(8);
    expect(results.get('after')).toMatchObject({ status: 'succeeded', stdout: 'still served\n' });
    // The other task was served all along, over its own socket.
    expect((await harness.task(other)).results).toEqual([expect.objectContaining({ action_id: 'hello', status: 'succeeded' })]);
    await harness.close(other);
    expect((await otherRun.exited).exitCode).toBe(0);
  });
});
