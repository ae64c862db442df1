import { CONTRACT_LIMITS } from '@taskforge/agent-contract';
import { MAX_ACTION_BYTES } from '../src';
import { AGENT, result, startControlPlane, type Running } from './support';

const MAX = CONTRACT_LIMITS.maxMessageBytes;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** A write_file action whose JSON (defaults included) is exactly `size` bytes, its content made of `unit` (a 1- or 2-byte character, or an escaped control character). */
function writeFileOfBytes(id: string, size: number, unit = 'é'): Record<string, unknown> {
  const empty = { id, type: 'write_file', path: 'x', content: '', append: false };
  const room = size - bytes(empty);
  const unitBytes = bytes(unit) - 2;
  const count = Math.floor(room / unitBytes);
  return { ...empty, content: unit.repeat(count) + 'a'.repeat(room - count * unitBytes) };
}

/** A run_command action whose JSON is exactly `size` bytes, spread over many arguments. */
function runCommandOfBytes(id: string, size: number): Record<string, unknown> {
  const argv = ['echo'];
  const chunk = 'é'.repeat(60_000);
  while (bytes({ id, type: 'run_command', argv: [...argv, chunk, ''], timeout_s: 60, max_output_bytes: 65536 }) <= size) argv.push(chunk);
  const base = bytes({ id, type: 'run_command', argv: [...argv, ''], timeout_s: 60, max_output_bytes: 65536 });
  return { id, type: 'run_command', argv: [...argv, 'a'.repeat(size - base)], timeout_s: 60, max_output_bytes: 65536 };
}

describe('limits', () => {
  let cp: Running;

  beforeEach(async () => {
    cp = await startControlPlane();
  });
  afterEach(() => cp.app.close());

  it('the builders make actions of exactly the size asked for', () => {
    expect(bytes(writeFileOfBytes('w', MAX_ACTION_BYTES))).toBe(MAX_ACTION_BYTES);
    expect(bytes(writeFileOfBytes('w', MAX_ACTION_BYTES + 1, '\u0001'))).toBe(MAX_ACTION_BYTES + 1);
    expect(bytes(runCommandOfBytes('r', MAX_ACTION_BYTES + 1))).toBe(MAX_ACTION_BYTES + 1);
  });

  describe('actions the runtime could not receive are refused when added (400, one line), whole batch', () => {
    it.each([
      ['write_file of 2-byte characters, on create', 'create', () => writeFileOfBytes('big', MAX_ACTION_BYTES + 1)],
      ['write_file of escaped control characters, on create', 'create', () => writeFileOfBytes('big', MAX_ACTION_BYTES + 1, '\u0001')],
      ['run_command with many arguments, on create', 'create', () => runCommandOfBytes('big', MAX_ACTION_BYTES + 1)],
      ['write_file of 2-byte characters, on enqueue', 'enqueue', () => writeFileOfBytes('big', MAX_ACTION_BYTES + 1)],
      ['run_command with many arguments, on enqueue', 'enqueue', () => runCommandOfBytes('big', MAX_ACTION_BYTES + 1)],
      ['a small action and a large one in one batch, on enqueue', 'enqueue', () => writeFileOfBytes('big', MAX_ACTION_BYTES + 1), true],
    ])('%s', async (_name, route, make, withSmall = false) => {
      const existing = await cp.createTask({ task_id: 'existing' });
      const actions = [...(withSmall ? [{ id: 'small', type: 'list_files', path: '.' }] : []), make()];
      const body = route === 'create' ? { task_id: 'new', actions } : actions;
      expect(bytes(body)).toBeLessThanOrEqual(MAX);
      const refused = await cp.call('POST', route === 'create' ? '/v1/tasks' : `/v1/tasks/${existing.taskId}/actions`, body);
      expect(refused).toMatchObject({ status: 400, body: { error: `action big is ${MAX_ACTION_BYTES + 1} bytes of JSON; the runtime receives at most ${MAX_ACTION_BYTES}` } });
      expect((await cp.call('GET', '/v1/tasks/new')).status).toBe(404);
      expect((await cp.call('GET', '/v1/tasks/existing')).body.queued).toEqual([]);
    });

    it('an action of exactly the largest size is queued, and the answer that carries it fits in a message', async () => {
      // The envelope kept free for the next-action answer is small: the runtime can receive nearly a whole message.
      expect(MAX - MAX_ACTION_BYTES).toBeGreaterThanOrEqual(64);
      expect(MAX - MAX_ACTION_BYTES).toBeLessThanOrEqual(4096);
      const largest = writeFileOfBytes('largest', MAX_ACTION_BYTES);
      const { taskId, agentToken } = await cp.createTask({ actions: [largest] });
      await cp.call('POST', `/v1/tasks/${taskId}/register`, { agent: AGENT }, agentToken);
      const response = await fetch(`${cp.base}/v1/tasks/${taskId}/actions/next`, { headers: { authorization: `Bearer ${agentToken}` } });
      const text = Buffer.from(await response.arrayBuffer());
      expect(text.length).toBeLessThanOrEqual(MAX);
      expect(JSON.parse(text.toString('utf8'))).toEqual({ action: largest });
    });
  });

  describe('bodies up to maxMessageBytes are taken, larger ones are 413', () => {
    it('a 2 MB action is queued (beyond fastify’s 1 MB default)', async () => {
      const created = await cp.call('POST', '/v1/tasks', { actions: [{ id: 'two-mb', type: 'write_file', path: 'x', content: 'a'.repeat(2 * 1024 * 1024) }] });
      expect(created.status).toBe(201);
    });

    it.each([
      ['5 MB of stdout', { stdout: 'o'.repeat(5 * 1024 * 1024) }],
      ['a body of exactly maxMessageBytes', 'pad'],
    ])('a result with %s is recorded', async (_name, extra) => {
      const { taskId, agentToken } = await cp.createTask({ actions: [{ id: 'a1', type: 'list_files' }] });
      await cp.call('GET', `/v1/tasks/${taskId}/actions/next`, undefined, agentToken);
      let body: string;
      if (extra === 'pad') {
        const json = JSON.stringify(result('a1', { stdout: 'o'.repeat(MAX - 1000) }));
        body = json + ' '.repeat(MAX - Buffer.byteLength(json));
      } else body = JSON.stringify(result('a1', extra as Record<string, unknown>));
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX);
      expect((await cp.call('POST', `/v1/tasks/${taskId}/actions/a1/result`, body, agentToken)).status).toBe(200);
    });

    it.each([
      ['create', () => '/v1/tasks', 'operator'],
      ['enqueue', (t: string) => `/v1/tasks/${t}/actions`, 'operator'],
      ['result', (t: string) => `/v1/tasks/${t}/actions/a1/result`, 'agent'],
      ['heartbeat', (t: string) => `/v1/tasks/${t}/heartbeat`, 'agent'],
    ])('%s with a body of maxMessageBytes + 1: 413', async (_name, path, who) => {
      const { taskId, agentToken } = await cp.createTask({ actions: [{ id: 'a1', type: 'list_files' }] });
      const json = JSON.stringify(result('a1', { stdout: 'o'.repeat(MAX - 1000) }));
      const body = json + ' '.repeat(MAX + 1 - Buffer.byteLength(json));
      const refused = await cp.call('POST', path(taskId), body, who === 'agent' ? agentToken : undefined);
      expect(refused.status).toBe(413);
      expect(refused.body.error).toMatch(/^[^\n]+$/);
    });
  });
});
