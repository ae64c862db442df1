import { HOSTILE_CAPABILITIES, HOSTILE_TASK_IDS, UNAPPROVED_CLASS } from '@taskforge/testing';
import { startBuilderFixture, type BuilderFixture } from './builder-fixture';

jest.setTimeout(5 * 60 * 1000);

// Requests come from agents: every hostile capability string and task id of the corpus (libs/testing/src/hostile-requests.ts),
// sent over HTTP, must be refused with a 4xx and one line, start no build, write nothing to the registry, and leave the
// service answering.
describe('hostile requests to the image-builder', () => {
  let fx: BuilderFixture;
  let registryBefore: Record<string, string[]>;
  beforeAll(async () => {
    fx = await startBuilderFixture(5092);
    registryBefore = await fx.registry.contents();
  });
  afterAll(() => fx?.dispose());

  // JSON text of a body, with BigInts as the bare (huge) numbers a hostile client can send; what JSON cannot carry
  // at all (undefined, functions, symbols) goes as null, as any client would send it.
  const json = (body: unknown) => JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? `__bigint__${value}` : value)).replace(/"__bigint__(-?\d+)"/g, '$1');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what a one-line answer must not hold
  const oneLine = (error: unknown) => typeof error === 'string' && error.length > 0 && error.length <= 300 && !/[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(error);

  it(`refuses all ${HOSTILE_CAPABILITIES.length} hostile capabilities (400 for the grammar, 403 for what is not approved) and all ${HOSTILE_TASK_IDS.length} hostile task ids`, async () => {
    const wrong: string[] = [];
    const check = async (label: string, body: unknown, expected: number[]) => {
      const answer = await fx.call('POST', '/v1/task-images', json(body));
      if (!expected.includes(answer.status) || !oneLine(answer.body?.error)) wrong.push(`${label}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
    };
    // What the wire carries decides the answer: a body over 64 KiB is 413 before it is read, and a wrapper object
    // (new String(...)) arrives as the plain string it serializes to, which the catalogue then refuses (403).
    const expectedFor = (hostile: { class: string; value: unknown }, body: unknown): number[] => {
      if (json(body).length > 64 * 1024) return [413];
      if (hostile.class === UNAPPROVED_CLASS) return [403];
      const sent = JSON.parse(json({ value: hostile.value })).value;
      return typeof hostile.value === 'object' && typeof sent === 'string' ? [400, 403] : [400];
    };
    for (const [i, hostile] of HOSTILE_CAPABILITIES.entries()) {
      const alone = { task_id: 'task-hostile', capabilities: [hostile.value] };
      await check(`capability ${i} (${hostile.class})`, alone, expectedFor(hostile, alone));
      // Hidden behind an approved one, it is refused just the same.
      const behind = { task_id: 'task-hostile', capabilities: ['apt_package:jq', hostile.value] };
      await check(`capability ${i} after an approved one (${hostile.class})`, behind, expectedFor(hostile, behind));
    }
    for (const [i, hostile] of HOSTILE_TASK_IDS.entries()) {
      const body = { task_id: hostile.value, capabilities: ['apt_package:jq'] };
      await check(`task id ${i} (${hostile.class})`, body, json(body).length > 64 * 1024 ? [413] : [400]);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses malformed bodies in one line: not JSON, not an object, unknown fields, too large', async () => {
    const cases: Array<[string, unknown]> = [
      ['not JSON', '{"task_id": '],
      ['an array', '[]'],
      ['a string', '"pip_package:tf-probe==1.2.0"'],
      ['an unknown field', { task_id: 'task-x', capabilities: ['apt_package:jq'], dockerfile: 'RUN id' }],
      ['no capabilities', { task_id: 'task-x' }],
      ['empty capabilities', { task_id: 'task-x', capabilities: [] }],
      ['a body over 64 KiB', { task_id: 'task-x', capabilities: ['apt_package:jq'], pad: 'x'.repeat(70 * 1024) }],
    ];
    for (const [name, body] of cases) {
      const answer = await fx.call('POST', '/v1/task-images', body);
      expect({ name, status: answer.status >= 400 && answer.status < 500, oneLine: oneLine(answer.body?.error) }).toEqual({ name, status: true, oneLine: true });
    }
  });

  it('after all of it: no build recorded, nothing in the registry but the base, the service healthy', async () => {
    expect(await fx.server.builder.store.countInState('queued', 'building', 'done', 'failed')).toBe(0);
    expect(await fx.registry.contents()).toEqual(registryBefore);
    expect((await fx.call('GET', '/healthz', undefined, '')).body).toEqual({ ok: true });
    const fine = await fx.call('POST', '/v1/task-images', { task_id: 'task-after', capabilities: ['apt_package:jq'] });
    expect(fine.status).toBe(202);
    expect((await fx.server.builder.settled(fine.body.id)).state).toBe('done');
  });
});
