import { AGENT, decision, policyText, result, startControlPlane, type Running } from './support';

const RULES = [{ id: 'files', effect: 'allow', actions: ['read_file', 'write_file', 'list_files'] }];
const PROTOTYPE_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'];

describe('results', () => {
  let cp: Running;
  let task: { taskId: string; agentToken: string };
  let otherTask: { taskId: string; agentToken: string };
  const post = (actionId: string, body: unknown, token = task.agentToken, taskId = task.taskId) => cp.call('POST', `/v1/tasks/${taskId}/actions/${actionId}/result`, body, token);

  beforeEach(async () => {
    cp = await startControlPlane();
    task = await cp.createTask({ actions: [{ id: 'sent', type: 'list_files' }, { id: 'waiting', type: 'list_files' }], close_when_empty: false });
    otherTask = await cp.createTask({ actions: [{ id: 'theirs', type: 'list_files' }] });
    expect((await cp.call('GET', `/v1/tasks/${task.taskId}/actions/next`, undefined, task.agentToken)).body.action.id).toBe('sent');
    expect((await cp.call('GET', `/v1/tasks/${otherTask.taskId}/actions/next`, undefined, otherTask.agentToken)).body.action.id).toBe('theirs');
  });
  afterEach(() => cp.app.close());

  it.each([
    ['an action still queued, never dispatched', 'waiting'],
    ['an action dispatched to another task', 'theirs'],
    ['an action that does not exist', 'ghost'],
    ['an action named like a prototype member', 'constructor'],
  ])('refuses a result for %s: 409', async (_name, actionId) => {
    const refused = await post(actionId, result(actionId));
    expect(refused).toMatchObject({ status: 409, body: { error: `action ${actionId} was never dispatched to task ${task.taskId}` } });
    expect((await cp.call('GET', `/v1/tasks/${task.taskId}`)).body.results).toEqual([]);
  });

  it.each([
    ['another status', { status: 'failed' }],
    ['another output', { stdout: 'rewritten' }],
    ['another duration', { duration_ms: 4 }],
    ['another decision', { decision: { ...decision('sent'), allowed: false, reason: 'denied after all' } }],
    ['an extra optional field', { truncated: false }],
  ])('refuses a second, different result (%s): 409, the first stays', async (_name, change) => {
    expect(await post('sent', result('sent'))).toMatchObject({ status: 200, body: { recorded: true } });
    const second = await post('sent', result('sent', change));
    expect(second).toMatchObject({ status: 409, body: { error: `action sent of task ${task.taskId} already has a different result` } });
    expect((await cp.call('GET', `/v1/tasks/${task.taskId}`)).body.results).toEqual([result('sent')]);
  });

  it.each([
    ['the same result', () => result('sent')],
    ['the same result, fields in another order', () => Object.fromEntries(Object.entries(result('sent')).reverse())],
  ])('takes %s again as a retried delivery: 200, recorded once', async (_name, again) => {
    expect(await post('sent', result('sent'))).toMatchObject({ status: 200, body: { recorded: true } });
    expect(await post('sent', again())).toMatchObject({ status: 200, body: { recorded: true, repeated: true } });
    expect((await cp.call('GET', `/v1/tasks/${task.taskId}`)).body.results).toHaveLength(1);
  });

  it.each([
    ['create', async () => cp.call('POST', '/v1/tasks', { actions: [{ id: 'x', type: 'list_files' }, { id: 'x', type: 'read_file', path: 'secret' }] })],
    ['enqueue, an id already queued', async () => cp.call('POST', `/v1/tasks/${task.taskId}/actions`, [{ id: 'waiting', type: 'read_file', path: 'y' }])],
    ['enqueue, an id already dispatched', async () => cp.call('POST', `/v1/tasks/${task.taskId}/actions`, [{ id: 'sent', type: 'read_file', path: 'y' }])],
    ['enqueue, twice in one batch', async () => cp.call('POST', `/v1/tasks/${task.taskId}/actions`, [{ id: 'n', type: 'list_files' }, { id: 'n', type: 'list_files' }])],
  ])('refuses an action id a task already uses (%s): 409, nothing queued', async (_name, send) => {
    const before = (await cp.call('GET', `/v1/tasks/${task.taskId}`)).body;
    const refused = await send();
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/^action id \S+ is already used in task \S+$/);
    expect((await cp.call('GET', `/v1/tasks/${task.taskId}`)).body).toEqual(before);
  });
});

describe('ids named like Object.prototype members behave like any other id', () => {
  let cp: Running;

  beforeEach(async () => {
    cp = await startControlPlane({}, policyText({ 'task-*': { rules: [] }, '*': { rules: RULES } }));
  });
  afterEach(() => cp.app.close());

  it.each(PROTOTYPE_NAMES)('task %s, with an action of that id, runs the whole flow and gets the glob policy', async (name) => {
    const created = await cp.call('POST', '/v1/tasks', { task_id: name, actions: [{ id: name, type: 'list_files' }] });
    expect(created).toMatchObject({ status: 201, body: { task_id: name } });
    const token = created.body.agent_token as string;
    const policy = await cp.call('GET', `/v1/tasks/${name}/policy`, undefined, token);
    expect(policy).toMatchObject({ status: 200, body: { task_id: name, rules: RULES } });
    expect((await cp.call('POST', `/v1/tasks/${name}/register`, { agent: AGENT }, token)).status).toBe(200);
    expect((await cp.call('GET', `/v1/tasks/${name}/actions/next`, undefined, token)).body.action.id).toBe(name);
    expect((await cp.call('POST', `/v1/tasks/${name}/actions/${name}/result`, result(name), token)).status).toBe(200);
    expect((await cp.call('GET', `/v1/tasks/${name}/actions/next`, undefined, token)).body).toEqual({ done: true });
    expect((await cp.call('GET', `/v1/tasks/${name}`)).body).toMatchObject({ task_id: name, state: 'done', results: [result(name)] });
    expect((await cp.call('POST', '/v1/tasks', { task_id: name })).status).toBe(409);
  });

  it.each(PROTOTYPE_NAMES)('an unknown task %s is 404 for the operator and 401 for anyone else', async (name) => {
    expect(await cp.call('GET', `/v1/tasks/${name}`)).toMatchObject({ status: 404, body: { error: `no task ${name}` } });
    expect((await cp.call('POST', `/v1/tasks/${name}/close`)).status).toBe(404);
    expect((await cp.call('GET', `/v1/tasks/${name}/policy`, undefined, 'tfa_guess')).status).toBe(401);
  });

  it.each(PROTOTYPE_NAMES)('a policy entry keyed %s applies to that task only', async (name) => {
    cp.writePolicy(policyText({ [name]: { rules: [{ id: 'exact', effect: 'allow', actions: ['list_files'] }] }, '*': { rules: RULES } }, 2));
    const exact = await cp.createTask({ task_id: name });
    const plain = await cp.createTask({ task_id: 'plain' });
    expect((await cp.call('GET', `/v1/tasks/${name}/policy`, undefined, exact.agentToken)).body.rules.map((r: { id: string }) => r.id)).toEqual(['exact']);
    expect((await cp.call('GET', '/v1/tasks/plain/policy', undefined, plain.agentToken)).body.rules).toEqual(RULES);
  });

  it('__proto__ is refused as a task id and an action id (400), like any id outside the pattern', async () => {
    expect((await cp.call('POST', '/v1/tasks', { task_id: '__proto__' })).status).toBe(400);
    expect((await cp.call('POST', '/v1/tasks', { actions: [{ id: '__proto__', type: 'list_files' }] })).status).toBe(400);
    expect((await cp.call('GET', '/v1/tasks/__proto__')).status).toBe(404);
  });

  it.each([
    ['invalid rules', '{"serial": 2, "tasks": {"__proto__": {"rules": "not a list"}, "*": {"rules": []}}}', /is invalid: tasks\["__proto__"\]\.rules: /],
    ['an unknown field', '{"serial": 2, "tasks": {"__proto__": {"rules": [], "allow_everything": true}, "*": {"rules": []}}}', /is invalid: tasks\["__proto__"\]: /],
    [
      'a contradiction',
      '{"serial": 2, "tasks": {"__proto__": {"rules": [{"id": "sh", "effect": "allow", "actions": ["run_command"], "commands": ["sh *"]}, {"id": "d", "effect": "deny", "actions": ["read_file"], "paths": ["x"]}]}, "*": {"rules": []}}}',
      /is contradictory: task pattern "__proto__": allow rule "sh" lets "sh" run/,
    ],
  ])('a "__proto__" key in the policy file is checked like any other: %s is refused (503)', async (_name, text, error) => {
    const { taskId, agentToken } = await cp.createTask({ task_id: 'plain' });
    cp.writePolicy(text);
    const refused = await cp.call('GET', `/v1/tasks/${taskId}/policy`, undefined, agentToken);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatch(error);
  });
});
