import { OPERATOR_TOKEN, startControlPlane, type Running } from './support';

// Every body is read under the contract's wire rules, as the runtime reads what it receives
// (images/base/agent/contract_schema.py): what the runtime would refuse is refused here, with 400 and the reason, and
// never stored or dispatched. The contract corpus (libs/agent-contract/test/contract-corpus.spec.ts) holds both ends to
// the same verdicts message by message; these cases check that the running server applies them.

const ACTION = '{"id":"a1","type":"run_command","argv":["echo","hi"]}';

async function post(cp: Running, path: string, body: Buffer | string): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${cp.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` }, body });
  return { status: response.status, error: ((await response.json()) as { error?: string }).error };
}

describe('the control plane reads bodies under the wire rules', () => {
  let cp: Running;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(() => cp.app.close());

  const refused: Array<[string, Buffer | string, RegExp]> = [
    // RFC 8259 §4: parsers disagree on which of two equal keys wins; the runtime refuses the message.
    ['a key twice', `{"actions":[{"id":"a1","type":"run_command","argv":["echo"],"argv":["rm","x"]}]}`, /key twice|appears twice/],
    ['a key twice, once escaped', `{"actions":[{"id":"a1","type":"run_command","argv":["echo"],"\\u0061rgv":["rm"]}]}`, /key twice|appears twice/],
    // RFC 8259 §8.2: a lone surrogate is no Unicode text; the runtime refused the whole answer, and the task hung.
    ['a lone surrogate in an argument', `{"actions":[{"id":"a1","type":"run_command","argv":["echo","\\ud800"]}]}`, /surrogate/],
    ['a lone low surrogate in a key', `{"actions":[],"\\udc00":1}`, /surrogate/],
    // RFC 8259 §8.1: UTF-8, and a BOM is not to be added.
    ['a byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"actions":[${ACTION}]}`)]), /not JSON|BOM|unexpected/],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"actions":[{"id":"a1","type":"run_command","argv":["echo","'), Buffer.from([0xc3, 0x28]), Buffer.from('"]}]}')]), /UTF-8/],
    // RFC 8259 §6: a number no double holds.
    ['a number that overflows', `{"actions":[{"id":"a1","type":"run_command","argv":["sleep"],"timeout_s":1e400}]}`, /out of range|not a finite number/],
    // The contract's nesting limit (32).
    ['nesting over the limit', `{"actions":${'['.repeat(40)}${']'.repeat(40)}}`, /deeper than 32/],
  ];

  it.each(refused)('refuses %s with 400 and the reason', async (_name, body, reason) => {
    const answer = await post(cp, '/v1/tasks', body);
    expect(answer.status).toBe(400);
    expect(answer.error).toMatch(reason);
  });

  it('accepts the same messages written by the rules, surrogate pairs included', async () => {
    expect((await post(cp, '/v1/tasks', `{"actions":[${ACTION}]}`)).status).toBe(201);
    expect((await post(cp, '/v1/tasks', `{"actions":[{"id":"a1","type":"run_command","argv":["echo","\\ud83d\\ude00 \u00e9"]}]}`)).status).toBe(201);
  });
});
