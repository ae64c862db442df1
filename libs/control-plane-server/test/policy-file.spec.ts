import { policyText, startControlPlane, type Running } from './support';

const FILES = { id: 'files', effect: 'allow', actions: ['read_file', 'write_file', 'list_files'] };
const LIST = { id: 'list', effect: 'allow', actions: ['list_files'] };
const NO_SECRETS = { id: 'no-secrets', effect: 'deny', actions: ['*'], paths: ['secrets/*'] };

describe('policy file', () => {
  let cp: Running;
  let token: string;
  const fetchPolicy = () => cp.call('GET', '/v1/tasks/t/policy', undefined, token);

  beforeEach(async () => {
    cp = await startControlPlane({}, policyText({ '*': { rules: [FILES] } }, 5));
    token = (await cp.createTask({ task_id: 't' })).agentToken;
    expect((await fetchPolicy()).body).toMatchObject({ serial: 5, rules: [FILES] });
  });
  afterEach(() => cp.app.close());

  describe('serial', () => {
    type Step = [text: string, status: number, expected: RegExp | { serial: number; rules: unknown[] }];
    const steps: Array<[string, Step[]]> = [
      ['a lower serial is a rollback', [[policyText({ '*': { rules: [LIST] } }, 4), 503, /has serial 4, below serial 5 already loaded; refusing to roll back/]]],
      ['serial 1 after 5', [[policyText({ '*': { rules: [] } }, 1), 503, /has serial 1, below serial 5/]]],
      ['new rules under the same serial', [[policyText({ '*': { rules: [LIST] } }, 5), 503, /changed but its serial stayed 5; raise the serial/]]],
      ['a reformatted file under the same serial', [[JSON.stringify({ serial: 5, tasks: { '*': { rules: [FILES] } } }, null, 2), 503, /changed but its serial stayed 5/]]],
      ['a higher serial is taken', [[policyText({ '*': { rules: [LIST] } }, 6), 200, { serial: 6, rules: [LIST] }]]],
      [
        'after a higher serial, the old file is a rollback',
        [
          [policyText({ '*': { rules: [LIST] } }, 6), 200, { serial: 6, rules: [LIST] }],
          [policyText({ '*': { rules: [FILES] } }, 5), 503, /has serial 5, below serial 6/],
        ],
      ],
      [
        'a broken file in between does not reset the serial',
        [
          ['{ broken', 503, /is invalid/],
          [policyText({ '*': { rules: [LIST] } }, 3), 503, /has serial 3, below serial 5/],
        ],
      ],
      [
        'a refused file, then the loaded file back again, serves the loaded policy',
        [
          [policyText({ '*': { rules: [LIST] } }, 4), 503, /below serial 5/],
          [policyText({ '*': { rules: [FILES] } }, 5), 200, { serial: 5, rules: [FILES] }],
        ],
      ],
    ];
    it.each(steps)('%s', async (_name, sequence) => {
      for (const [text, status, expected] of sequence) {
        cp.writePolicy(text);
        const answer = await fetchPolicy();
        expect(answer.status).toBe(status);
        if (expected instanceof RegExp) {
          expect(answer.body.error).toMatch(expected);
          expect(answer.body.error).not.toContain('\n');
        } else expect(answer.body).toMatchObject(expected);
      }
    });

    it.each([
      ['no serial', { tasks: { '*': { rules: [] } } }, /serial: /],
      ['a rule with an unknown effect', { serial: 6, tasks: { '*': { rules: [{ id: 'x', effect: 'maybe', actions: ['*'] }] } } }, /tasks\["\*"\]\.rules\[0\]\.effect: /],
      ['a command pattern with a wildcard program', { serial: 6, tasks: { '*': { rules: [{ id: 'x', effect: 'allow', actions: ['run_command'], commands: ['py* -c *'] }] } } }, /tasks\["\*"\]\.rules\[0\]\.commands\[0\]: the program/],
      ['serial 0', { serial: 0, tasks: {} }, /serial: /],
      ['a negative serial', { serial: -6, tasks: {} }, /serial: /],
      ['a fractional serial', { serial: 6.5, tasks: {} }, /serial: /],
      ['a string serial', { serial: '6', tasks: {} }, /serial: /],
      ['tasks as a list', { serial: 6, tasks: [] }, /tasks: must be an object/],
      ['an empty task pattern', { serial: 6, tasks: { '': { rules: [] } } }, /tasks: a task pattern must not be empty/],
      ['an unknown top-level field', { serial: 6, tasks: {}, default: 'allow' }, /\(file\): Unrecognized key/],
    ])('refuses a file with %s (503)', async (_name, file, error) => {
      cp.writePolicy(file);
      const answer = await fetchPolicy();
      expect(answer.status).toBe(503);
      expect(answer.body.error).toMatch(new RegExp(`^policy file \\S+ is invalid: ${error.source}`));
      expect(answer.body.error).not.toContain('\n');
    });
  });

  describe('contradictions', () => {
    it.each([
      ['python3 next to a path deny', [{ id: 'py', effect: 'allow', actions: ['run_command'], commands: ['python3 *'] }, NO_SECRETS], '"py" lets "python3" run, which can do what deny rule "no-secrets" forbids'],
      ['every command next to a command deny', [{ id: 'all', effect: 'allow', actions: ['run_command'] }, { id: 'no-curl', effect: 'deny', actions: ['run_command'], commands: ['curl *'] }], '"all" lets any program run, which can do what deny rule "no-curl" forbids'],
      ['env by absolute path next to a path deny', [NO_SECRETS, { id: 'wrap', effect: 'allow', actions: ['run_command'], commands: ['echo *', '/usr/bin/env *'] }], '"wrap" lets "/usr/bin/env" run, which can do what deny rule "no-secrets" forbids'],
    ])('refuses a reload with %s (503), naming the file, pattern, rules and program', async (_name, rules, detail) => {
      cp.writePolicy(policyText({ 'build-*': { rules: [FILES] }, 't*': { rules } }, 6));
      const answer = await fetchPolicy();
      expect(answer.status).toBe(503);
      expect(answer.body.error).toBe(`policy file ${cp.policyFile} is contradictory: task pattern "t*": allow rule ${detail}; narrow the allow rule or mark it "arbitrary_code": true`);
      // The same rules with the allow rule marked are served.
      const marked = rules.map((rule) => (rule.effect === 'allow' ? { ...rule, arbitrary_code: true } : rule));
      cp.writePolicy(policyText({ 'build-*': { rules: [FILES] }, 't*': { rules: marked } }, 7));
      expect((await fetchPolicy()).body).toMatchObject({ serial: 7, rules: marked });
    });

    it('refuses a contradiction in an entry that does not even apply to the asking task', async () => {
      cp.writePolicy(policyText({ other: { rules: [{ id: 'sh', effect: 'allow', actions: ['*'], commands: ['bash *'] }, NO_SECRETS] }, '*': { rules: [FILES] } }, 6));
      expect((await fetchPolicy()).status).toBe(503);
    });
  });
});
