import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { action, CONTRACT_LIMITS, CONTRACT_SCHEMAS, ContractJsonError, hasLoneSurrogate, logLine, parseContractMessage } from '../src';
import { buildCorpus, caseBytes, CORPUS_FILE, corpusFileText, type Corpus, KINDS, type Kind } from './contract-corpus';

// Thousands of cases per test: on a loaded 2-core machine (and under every Node line in e2e/node-versions) one of
// them can take several seconds, more than Jest's default 5.
jest.setTimeout(120_000);

let corpus: Corpus;
beforeAll(() => {
  corpus = buildCorpus();
});

/**
 * A control plane in miniature: fastify as the server configures it, and one route per kind that zod-parses the body.
 */
async function server(): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify({ bodyLimit: CONTRACT_LIMITS.maxMessageBytes });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseContractMessage(body as Buffer));
    } catch (error) {
      done(Object.assign(error as Error, { statusCode: 400 }), undefined);
    }
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => reply.code(error instanceof z.ZodError ? 400 : (error.statusCode ?? 500)).send({ error: error.message }));
  for (const kind of KINDS) app.post(`/${kind}`, async (request) => ((CONTRACT_SCHEMAS[kind] as z.ZodType).parse(request.body), { ok: true }));
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base };
}

async function accepted(server: { base: string }, kind: Kind, body: Buffer): Promise<{ ok: boolean; status: number }> {
  const response = await fetch(`${server.base}/${kind}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  return { ok: response.status === 200, status: response.status };
}

const wireRefuses = (body: Buffer) => {
  try {
    parseContractMessage(body);
    return false;
  } catch (error) {
    if (!(error instanceof ContractJsonError)) throw error;
    return true;
  }
};

describe('the contract corpus (images/base/tests/contract_corpus.json)', () => {
  it('is current (regenerate with `npx nx run agent-contract:contract-corpus`)', () => {
    // Every case and verdict as generated. The reasons are zod's words, for people; they vary with the realm the
    // parsed value comes from ("received Object" under some Jest set-ups, "received object" under others), so they
    // are compared only for being there.
    const withoutReasons = (text: string) => (JSON.parse(text) as { cases: Array<Record<string, unknown>> }).cases.map(({ reason, ...rest }) => ({ ...rest, reason: typeof reason }));
    expect(withoutReasons(readFileSync(CORPUS_FILE, 'utf8'))).toEqual(withoutReasons(corpusFileText(corpus)));
  });

  it('gives every hand-written case the verdict its rule says', () => {
    expect(corpus.unexpected).toEqual([]);
  });

  it('has valid and invalid cases of every kind, hand-written and a few thousand generated, each with its reason', () => {
    for (const kind of KINDS) expect(new Set(corpus.cases.filter((c) => c.kind === kind).map((c) => c.valid))).toEqual(new Set([true, false]));
    expect(corpus.generated).toBeGreaterThanOrEqual(3000);
    expect(corpus.handWritten).toBeGreaterThan(1000);
    expect(new Set(corpus.cases.map((c) => c.id)).size).toBe(corpus.cases.length);
    for (const c of corpus.cases) {
      expect(c.why.length).toBeGreaterThan(0);
      if (c.json !== undefined) expect(hasLoneSurrogate(c.json)).toBe(false);
      expect(c.valid || c.reason !== undefined).toBe(true);
    }
  });

  it('is the same corpus on every run (the generator is seeded)', () => {
    expect(corpusFileText(buildCorpus())).toBe(corpusFileText(corpus));
  });
});

describe('parseContractMessage', () => {
  it('reads what JSON.parse reads whenever the wire rules allow the body, and refuses what JSON.parse refuses', () => {
    for (const c of corpus.cases) {
      const body = caseBytes(c);
      let parsed: unknown;
      let refused = false;
      try {
        parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
      } catch {
        refused = true;
      }
      if (refused) expect([c.id, wireRefuses(body)]).toEqual([c.id, true]);
      else if (!wireRefuses(body)) expect([c.id, parseContractMessage(body)]).toEqual([c.id, parsed]);
    }
  });

  it.each([
    ['duplicate key', '{"a":1,"a":2}', 'appears twice'],
    ['escaped duplicate key', '{"id":1,"\\u0069d":2}', 'appears twice'],
    ['lone surrogate', '{"a":"\\ud800"}', 'lone surrogate'],
    ['lone surrogate in a key', '{"\\udc00":1}', 'lone surrogate'],
    ['NaN', '{"a":NaN}', 'not JSON'],
    ['overflow', '{"a":1e400}', 'out of range'],
    ['BOM', '\ufeff{}', 'not JSON'],
    ['too deep', '['.repeat(33) + ']'.repeat(33), 'deeper than 32'],
  ])('refuses a %s', (_name, text, message) => {
    expect(() => parseContractMessage(Buffer.from(text))).toThrow(message);
  });

  it('reads a surrogate pair, nesting at the limit and "__proto__" as an own key', () => {
    expect(parseContractMessage(Buffer.from('{"a":"\\ud83d\\ude00"}'))).toEqual({ a: '😀' });
    expect(parseContractMessage(Buffer.from('['.repeat(32) + ']'.repeat(32)))).toEqual(JSON.parse('['.repeat(32) + ']'.repeat(32)));
    const value = parseContractMessage(Buffer.from('{"__proto__":{"polluted":true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses invalid UTF-8 and bodies over maxMessageBytes', () => {
    expect(() => parseContractMessage(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toThrow('not UTF-8');
    expect(() => parseContractMessage(Buffer.alloc(CONTRACT_LIMITS.maxMessageBytes + 1, 0x20))).toThrow('over the contract');
    expect(() => parseContractMessage('"\ud800"')).toThrow('not UTF-8');
  });
});

describe('the zod schemas refuse lone surrogates themselves', () => {
  it('in every string field, so the control plane never dispatches an action the runtime cannot accept', () => {
    expect(action.safeParse({ id: 'a1', type: 'run_command', argv: ['echo', 'x\ud800'] }).success).toBe(false);
    expect(action.safeParse({ id: 'a1', type: 'write_file', path: 'x', content: '\udfff' }).success).toBe(false);
    expect(action.safeParse({ id: 'a1', type: 'write_file', path: 'x', content: '\ud83d\ude00' }).success).toBe(true);
    expect(action.safeParse({ id: 'a1', type: 'run_command', argv: [] }).success).toBe(false); // a refinement on argv[0] must not crash on []
  });

  it('in free-form log fields, keys and values, and nesting beyond the limit', () => {
    const line = { ts: '2026-12-07T14:00:00Z', level: 'info', task_id: null, event: 'e' };
    expect(logLine.safeParse({ ...line, fields: { a: ['x\ud800'] } }).success).toBe(false);
    expect(logLine.safeParse({ ...line, fields: { 'k\udc00': 1 } }).success).toBe(false);
    const nest = (n: number): unknown => (n === 0 ? 1 : [nest(n - 1)]);
    expect(logLine.safeParse({ ...line, fields: { deep: nest(30) } }).success).toBe(true);
    expect(logLine.safeParse({ ...line, fields: { deep: nest(31) } }).success).toBe(false);
  });
});

describe('the control plane as fastify parses bodies', () => {
  let contract: { app: FastifyInstance; base: string };
  beforeAll(async () => {
    contract = await server();
  });
  afterAll(async () => {
    await contract.app.close();
  });

  it('with parseContractMessage as its JSON parser reaches the corpus verdict on every case', async () => {
    const disagreements: string[] = [];
    for (const c of corpus.cases) {
      const { ok, status } = await accepted(contract, c.kind, caseBytes(c));
      if (ok !== c.valid) disagreements.push(`${c.id}: ${status}, recorded ${c.valid}`);
      else if (!ok) expect([c.id, status]).toEqual([c.id, caseBytes(c).length > CONTRACT_LIMITS.maxMessageBytes ? 413 : 400]);
    }
    expect(disagreements).toEqual([]);
  }, 120_000);
});
