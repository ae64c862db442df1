/**
 * One corpus, one verdict: messages of every kind of the contract, valid and invalid, as raw JSON text (or bytes),
 * with the control plane's verdict on each (the wire rules of parseContractMessage, then the zod schema). The
 * runtime's test (images/base/tests/test_contract_corpus.py) must reach the same verdict on every case with
 * contract_schema.py. Hand-written cases say which rule they test; generated ones come from a seeded mutator.
 *
 * Regenerate with `npx nx run agent-contract:contract-corpus`; contract-corpus.spec.ts checks the file is current.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { CONTRACT_LIMITS, CONTRACT_SCHEMAS, hasLoneSurrogate, parseContractMessage } from '../src';
import { expandText, type Fill, jsonText, LongArray, LongString, Pairs, Raw } from './json-text';

export const CORPUS_FILE = resolve(__dirname, '../../../images/base/tests/contract_corpus.json');
export type Kind = keyof typeof CONTRACT_SCHEMAS;
export const KINDS = Object.keys(CONTRACT_SCHEMAS) as Kind[];
const L = CONTRACT_LIMITS;

export interface CorpusCase {
  id: string;
  kind: Kind;
  /** The rule the case is there for (hand-written), or the mutations that made it (generated). */
  why: string;
  /** The message as JSON text (UTF-8 on the wire), fills expanded; or `base64` for bytes that are not UTF-8 text. */
  json?: string;
  fills?: Fill[];
  base64?: string;
  /** The control plane's verdict. */
  valid: boolean;
  /** Why not, when not valid (the first problem, for people; the runtime's reason may differ). */
  reason?: string;
}

interface Draft {
  id: string;
  kind: Kind;
  why: string;
  value?: unknown;
  bytes?: Buffer;
  text?: { json: string; fills?: Fill[] };
  /** What the rule says the verdict is: the corpus refuses to be written when the verdict differs. */
  expect?: boolean;
  generated?: boolean;
}

// -- valid messages ------------------------------------------------------------------------------------------------

const TS = '2026-12-07T14:00:00.000Z';
const DECISION = { decision_id: 'd-1', action_id: 'a1', action_type: 'run_command', allowed: true, matched_rule: 'echo', policy_revision: 'rev-1', reason: 'allowed by rule echo' };
export const BASES: Record<Kind, Record<string, unknown>> = {
  action: {
    run_command: { id: 'a1', type: 'run_command', argv: ['echo', 'hi'], timeout_s: 60, max_output_bytes: 65536, cwd: 'sub' },
    'run_command minimal': { id: 'a1', type: 'run_command', argv: ['echo'] },
    read_file: { id: 'r1', type: 'read_file', path: 'notes/x.txt', max_bytes: 1024 },
    'read_file minimal': { id: 'r1', type: 'read_file', path: 'x' },
    write_file: { id: 'w1', type: 'write_file', path: 'x.txt', content: 'hi\n', append: true },
    'write_file minimal': { id: 'w1', type: 'write_file', path: 'x.txt', content: '' },
    list_files: { id: 'l1', type: 'list_files', path: '.' },
    'list_files minimal': { id: 'l1', type: 'list_files' },
  },
  'next-action-response': {
    run_command: { action: { id: 'a1', type: 'run_command', argv: ['echo', 'hi'], timeout_s: 60, max_output_bytes: 65536, cwd: 'sub' } },
    read_file: { action: { id: 'r1', type: 'read_file', path: 'notes/x.txt', max_bytes: 1024 } },
    write_file: { action: { id: 'w1', type: 'write_file', path: 'x.txt', content: 'hi\n', append: false } },
    list_files: { action: { id: 'l1', type: 'list_files', path: '.' } },
    'list_files minimal': { action: { id: 'l1', type: 'list_files' } },
    done: { done: true },
    wait: { wait_ms: 250 },
  },
  'register-request': { agent: { agent: { hostname: 'c0ffee', pid: 7, runtime_version: '1.0.0', python: '3.11.2' } } },
  'register-response': { minimal: { task_id: 'task-1' }, interval: { task_id: 'task-1', heartbeat_interval_s: 5 } },
  heartbeat: { idle: { state: 'idle', current_action: null, policy_revision: null }, running: { state: 'running', current_action: 'a1', policy_revision: 'rev-1' } },
  policy: {
    policy: {
      task_id: 'task-1',
      revision: 'rev-1',
      serial: 3,
      issued_at: TS,
      rules: [
        { id: 'files', effect: 'allow', actions: ['read_file', 'write_file', 'list_files'], paths: ['src/*'] },
        { id: 'echo', effect: 'allow', actions: ['run_command'], commands: ['echo *', '/bin/ls'] },
        { id: 'py', effect: 'allow', actions: ['run_command'], commands: ['python3 *'], arbitrary_code: true },
        { id: 'secrets', effect: 'deny', actions: ['*'], paths: ['secrets/*'] },
      ],
    },
    'no rules': { task_id: 'task-1', revision: 'r', serial: 1, issued_at: '2026-01-01T00:00:00Z', rules: [] },
  },
  decision: { allowed: DECISION, denied: { ...DECISION, allowed: false, matched_rule: null, policy_revision: null, reason: 'no rule allows it' } },
  'action-result': {
    command: { action_id: 'a1', status: 'succeeded', decision: DECISION, exit_code: 0, stdout: 'hi\n', stderr: '', truncated: false, duration_ms: 12.5 },
    listing: { action_id: 'l1', status: 'succeeded', decision: DECISION, entries: [{ name: 'a', type: 'file', size: 3 }, { name: 'd', type: 'dir', size: 0 }], duration_ms: 1 },
    rejected: { action_id: 'b1', status: 'rejected', decision: { ...DECISION, allowed: false }, exit_code: null, error: 'invalid action: ...', duration_ms: 0 },
    read: { action_id: 'r1', status: 'succeeded', decision: DECISION, content: 'x', duration_ms: 0.001 },
  },
  'log-line': {
    info: { ts: TS, level: 'info', task_id: 'task-1', event: 'action_started', fields: { action_id: 'a1', n: 1, nested: { list: [1, 'a', null, true] } } },
    boot: { ts: '2026-12-07T14:00:00Z', level: 'error', task_id: null, event: 'config_invalid', fields: {} },
  },
};

// -- paths into a value ----------------------------------------------------------------------------------------------

type Path = Array<string | number>;
const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;

/** A deep copy of arrays and plain objects; Raw, LongString, LongArray and Pairs are immutable and shared. */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clone(item)])) as T;
  return value;
}

function leaves(value: unknown, path: Path = []): Array<{ path: Path; value: unknown }> {
  const out = [{ path, value }];
  if (Array.isArray(value)) value.forEach((item, index) => out.push(...leaves(item, [...path, index])));
  else if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) out.push(...leaves(item, [...path, key]));
  return out;
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = clone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

function deleteAt(root: unknown, path: Path): unknown {
  const copy = clone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (Array.isArray(node)) node.splice(last as number, 1);
  else delete node[last];
  return copy;
}

/** The object at `path` with its key `key` renamed to `to`, order kept (a Pairs, so that no JS object rule interferes). */
function renameKey(root: unknown, path: Path, key: string, to: string): unknown {
  const object = path.reduce<any>((node, step) => node[step], root) as Record<string, unknown>;
  return setAt(root, path, new Pairs(Object.entries(object).map(([k, v]) => [k === key ? to : k, v])));
}

const at = (path: Path) => path.map(String).join('.') || '$';

// -- hand-written cases ----------------------------------------------------------------------------------------------

const SURROGATES: Array<[string, string, boolean | undefined]> = [
  ['lone high surrogate', '\ud800', false],
  ['lone low surrogate', '\udfff', false],
  ['high surrogate at the end', 'ab\udbff', false],
  ['low surrogate at the start', '\udc00ab', false],
  ['reversed pair', '\udc00\ud800', false],
  ['high, then a non-surrogate', '\ud83dA', false],
  ['two highs', '\ud83d\ud83d\ude00', false],
  ['valid surrogate pair (U+1F600)', '\ud83d\ude00', undefined],
  ['valid pair then lone low', '\ud83d\ude00\ude00', false],
];

function stringCases(kind: Kind, base: string, message: unknown): Draft[] {
  const drafts: Draft[] = [];
  for (const { path, value } of leaves(message)) {
    if (typeof value === 'string') {
      for (const [name, text, expect] of SURROGATES) {
        drafts.push({ id: `${kind}/${base}/${at(path)}/${name}`, kind, why: `RFC 8259 §8.2: a lone surrogate is not interoperable and UTF-8 cannot encode it; the contract refuses it in every string (a pair is one character)`, value: setAt(message, path, value + text), expect });
      }
      drafts.push({ id: `${kind}/${base}/${at(path)}/NUL`, kind, why: 'U+0000 is valid JSON (\\u0000); only ids, paths and argv refuse it (they reach C strings)', value: setAt(message, path, `a\u0000${value}`) });
      drafts.push({ id: `${kind}/${base}/${at(path)}/empty`, kind, why: 'minLength: an empty string where the schema wants one character', value: setAt(message, path, '') });
      drafts.push({ id: `${kind}/${base}/${at(path)}/non-ASCII`, kind, why: 'UTF-8 text of 2- and 4-byte characters: lengths count characters', value: setAt(message, path, `${value}é😀`) });
    }
    if (isPlainObject(value)) {
      const keys = Object.keys(value);
      if (keys.length > 0) {
        drafts.push({ id: `${kind}/${base}/${at(path)}/key with a lone surrogate`, kind, why: 'RFC 8259 §8.2: keys are strings; a lone surrogate in one is refused like in a value', value: renameKey(message, path, keys[0], `${keys[0]}\ud800`), expect: false });
        const key = JSON.stringify(keys[0]);
        const escaped = `"\\u${keys[0].charCodeAt(0).toString(16).padStart(4, '0')}${key.slice(2)}`;
        drafts.push({ id: `${kind}/${base}/${at(path)}/key spelled with \\u escapes`, kind, why: 'RFC 8259 §7: "\\u0069d" is the key "id"', text: { json: jsonText(message).json.replace(`${key}:`, () => `${escaped}:`) } });
      }
      drafts.push({ id: `${kind}/${base}/${at(path)}/extra field`, kind, why: 'strict objects: an unknown field is refused (only log-line fields is free-form)', value: setAt(message, [...path, 'extra_field'], 1) });
      for (const key of keys) drafts.push({ id: `${kind}/${base}/${at(path)}/missing ${key}`, kind, why: 'required fields (a field with a default may be missing: the control plane fills it)', value: deleteAt(message, [...path, key]) });
      drafts.push({ id: `${kind}/${base}/${at(path)}/empty object`, kind, why: 'an empty object where fields are required', value: setAt(message, path, {}) });
    }
  }
  return drafts;
}

const WRONG_TYPES: Array<[string, unknown]> = [['null', null], ['true', true], ['false', false], ['0', 0], ['1', 1], ['"1"', '1'], ['"true"', 'true'], ['[]', []], ['{}', {}], ['[the value]', undefined]];

function typeCases(kind: Kind, base: string, message: unknown): Draft[] {
  const drafts: Draft[] = [];
  for (const { path, value } of leaves(message)) {
    if (path.length === 0) continue;
    for (const [name, replacement] of WRONG_TYPES) {
      drafts.push({ id: `${kind}/${base}/${at(path)}/type ${name}`, kind, why: 'types: booleans are not numbers, numbers not strings, null only where nullable', value: setAt(message, path, replacement === undefined ? [value] : replacement) });
    }
  }
  return drafts;
}

/** Numbers, spelled as JSON text: RFC 8259 §6 grammar, doubles (JavaScript), integers within ±(2^53-1). */
const NUMBERS: Array<[string, string, string]> = [
  ['-0', '-0', 'RFC 8259 §6: -0 is a number; as an integer it is 0'],
  ['-0.0', '-0.0', 'an integral float is an integer (JSON Schema 2020-12, JavaScript)'],
  ['1.0', '1.0', 'an integral float is an integer (JSON Schema 2020-12, JavaScript)'],
  ['1e0', '1e0', 'exponent form of an integer'],
  ['1E2', '1E2', 'upper-case exponent'],
  ['1e+2', '1e+2', 'signed exponent'],
  ['0.5', '0.5', 'a fraction where an integer is wanted'],
  ['1.5', '1.5', 'a fraction'],
  ['5e-324', '5e-324', 'the smallest double'],
  ['1e-400', '1e-400', 'underflows to 0, as JavaScript reads it'],
  ['-1e-400', '-1e-400', 'underflows to -0'],
  ['1e308', '1e308', 'a finite double, an integer beyond the safe range'],
  ['1.7976931348623157e308', '1.7976931348623157e308', 'the largest double'],
  ['1e309', '1e309', 'overflows a double: JavaScript reads Infinity'],
  ['-1e309', '-1e309', 'overflows to -Infinity'],
  ['2^53-1', '9007199254740991', 'the largest safe integer'],
  ['2^53', '9007199254740992', 'beyond the safe range'],
  ['2^53+1', '9007199254740993', 'beyond the safe range (not a double)'],
  ['-(2^53-1)', '-9007199254740991', 'the smallest safe integer'],
  ['2^53-1 as float', '9007199254740991.0', 'integral float at the safe limit'],
  ['2^53 as float', '9007199254740992.0', 'integral float beyond the safe limit'],
  ['2^64', '18446744073709551616', 'a 64-bit overflow'],
  ['309 digits', '9'.repeat(309), 'an integer over the double range: Infinity in JavaScript'],
  ['308 digits', '9'.repeat(308), 'an integer within the double range (rounded)'],
  ['5000 digits', '9'.repeat(5000), 'over the 4300 digits Python reads as int'],
  ['NaN', 'NaN', 'RFC 8259 §6: NaN is not JSON'],
  ['Infinity', 'Infinity', 'RFC 8259 §6: Infinity is not JSON'],
  ['-Infinity', '-Infinity', 'RFC 8259 §6: -Infinity is not JSON'],
  ['leading zero', '01', 'RFC 8259 §6: no leading zeros'],
  ['plus sign', '+1', 'RFC 8259 §6: no plus sign'],
  ['bare fraction', '.5', 'RFC 8259 §6: digits before the point'],
  ['trailing point', '1.', 'RFC 8259 §6: digits after the point'],
  ['hex', '0x10', 'RFC 8259 §6: no hex'],
  ['exponent without digits', '1e', 'RFC 8259 §6'],
  ['4194304', '4194304', 'maxOutputBytes, at the limit'],
  ['4194305', '4194305', 'maxOutputBytes + 1'],
  ['3600', '3600', 'the largest timeout'],
  ['3600.0000000001', '3600.0000000001', 'just over the largest timeout'],
  ['3600.00000000000001', '3600.00000000000001', 'rounds to 3600 as a double: both ends read doubles'],
  ['0', '0', 'zero: not positive'],
  ['-1', '-1', 'negative'],
];

function numberCases(kind: Kind, base: string, message: unknown): Draft[] {
  const drafts: Draft[] = [];
  for (const { path, value } of leaves(message)) {
    if (typeof value !== 'number') continue;
    for (const [name, text, why] of NUMBERS) drafts.push({ id: `${kind}/${base}/${at(path)}/number ${name}`, kind, why, value: setAt(message, path, new Raw(text)) });
  }
  return drafts;
}

const DATE_TIMES: Array<[string, boolean, string]> = [
  ['2026-12-07T14:00:00Z', true, 'RFC 3339 in UTC, as the runtime writes it'],
  ['2026-12-07T14:00:00.000Z', true, 'milliseconds, as toISOString writes them'],
  ['2026-12-07T14:00:00.123456789Z', true, 'RFC 3339: any number of fraction digits'],
  ['2020-01-01', false, 'a bare date is no date-time (RFC 3339 §5.6 full-date alone)'],
  ['2020-01-01T00:00:00', false, 'no offset: a local time means nothing to the other end'],
  ['2020-01-01T00:00:00+00:00', false, 'RFC 3339 allows numeric offsets; the contract wants Z (zod datetime())'],
  ['2020-01-01T00:00:00+01:00', false, 'numeric offset'],
  ['2020-01-01T00:00:00-05:30', false, 'negative numeric offset'],
  ['2020-01-01T00:00:00-00:00', false, 'RFC 3339 §4.3 unknown offset'],
  ['2020-01-01t00:00:00Z', false, 'RFC 3339 §5.6 allows a lower-case t; the contract does not'],
  ['2020-01-01T00:00:00z', false, 'lower-case z'],
  ['2020-01-01 00:00:00Z', false, 'a space for the T (RFC 3339 §5.6 NOTE): refused'],
  ['2016-12-31T23:59:60Z', false, 'RFC 3339 leap second: refused (zod, and most clocks, have none)'],
  ['2020-02-29T00:00:00Z', true, 'leap day of a leap year'],
  ['2019-02-29T00:00:00Z', false, 'no 29 February in 2019'],
  ['1900-02-29T00:00:00Z', false, '1900 is no leap year (century)'],
  ['2000-02-29T00:00:00Z', true, '2000 is a leap year (400)'],
  ['0000-01-01T00:00:00Z', true, 'year 0000 is valid RFC 3339 (Python datetime refuses it)'],
  ['0000-02-29T00:00:00Z', true, 'year 0000 is a leap year in the proleptic Gregorian calendar'],
  ['9999-12-31T23:59:59.999Z', true, 'the largest four-digit year'],
  ['+002020-01-01T00:00:00Z', false, 'ISO 8601 expanded year'],
  ['2020-13-01T00:00:00Z', false, 'month 13'],
  ['2020-00-01T00:00:00Z', false, 'month 0'],
  ['2020-01-32T00:00:00Z', false, 'day 32'],
  ['2020-04-31T00:00:00Z', false, '30 days has April'],
  ['2020-01-00T00:00:00Z', false, 'day 0'],
  ['2020-01-01T24:00:00Z', false, 'hour 24'],
  ['2020-01-01T23:60:00Z', false, 'minute 60'],
  ['2020-01-01T00:00Z', false, 'no seconds'],
  ['2020-01-01T00:00:00.Z', false, 'a point without digits'],
  ['2020-01-01T00:00:00,5Z', false, 'ISO 8601 comma fraction'],
  ['20200101T000000Z', false, 'ISO 8601 basic format'],
  ['2020-1-1T0:0:0Z', false, 'digits missing'],
  ['2020-01-01T00:00:00Z\n', false, 'a final newline (Python $ matches before it)'],
  [' 2020-01-01T00:00:00Z', false, 'leading space'],
  ['2020-01-01T00:00:00ZZ', false, 'trailing text'],
  ['٢٠٢٠-01-01T00:00:00Z', false, 'Arabic-Indic digits: \\d is ASCII'],
  ['２０２０-01-01T00:00:00Z', false, 'fullwidth digits'],
  ['2020-01-01T00:00:00.５Z', false, 'fullwidth fraction digit'],
  ['2020-W01-1T00:00:00Z', false, 'ISO week date'],
  ['2020-001T00:00:00Z', false, 'ISO ordinal date'],
  ['', false, 'empty'],
];

function dateTimeCases(): Draft[] {
  const drafts: Draft[] = [];
  for (const [kind, base, field] of [['policy', 'policy', 'issued_at'], ['log-line', 'info', 'ts']] as const) {
    const message = BASES[kind][base];
    for (const [text, expect, why] of DATE_TIMES) drafts.push({ id: `${kind}/${base}/${field}/date-time ${JSON.stringify(text)}`, kind, why, value: setAt(message, [field], text), expect });
    // "\u0032" is '2': the escape is the character (RFC 8259 §7); the date-time is read after unescaping.
    const escaped = jsonText(message).json.replace(JSON.stringify((message as Record<string, string>)[field]), '"\\u0032026-12-07T14:00:00\\u005a"');
    drafts.push({ id: `${kind}/${base}/${field}/date-time with ASCII written as \\u escapes`, kind, why: 'RFC 8259 §7: \\u0032 is "2"; the value is a valid date-time', bytes: Buffer.from(escaped), expect: true });
  }
  return drafts;
}

function limitCases(): Draft[] {
  const command = BASES.action.run_command as Record<string, unknown>;
  const write = BASES.action.write_file as Record<string, unknown>;
  const read = BASES.action.read_file as Record<string, unknown>;
  const drafts: Draft[] = [];
  const add = (id: string, why: string, kind: Kind, value: unknown, expect?: boolean) => drafts.push({ id: `limits/${id}`, kind, why, value, expect });
  const both = (id: string, why: string, action: unknown, expect?: boolean) => {
    add(`action/${id}`, why, 'action', action, expect);
    add(`next-action-response/${id}`, why, 'next-action-response', { action }, expect);
  };
  both('argv item at maxArgChars', 'maxArgChars: the longest argv element', { ...command, argv: ['echo', new LongString('x', L.maxArgChars)] }, true);
  both('argv item over maxArgChars', 'maxArgChars + 1', { ...command, argv: ['echo', new LongString('x', L.maxArgChars + 1)] }, false);
  both('argv item at maxArgChars in 4-byte characters', 'lengths count characters (code points), not UTF-16 units or bytes', { ...command, argv: ['echo', new LongString('😀', L.maxArgChars)] }, true);
  both('argv item over maxArgChars in 4-byte characters', 'code points: one over', { ...command, argv: ['echo', new LongString('😀', L.maxArgChars + 1)] }, false);
  both('argv at maxArgs', 'maxArgs: the most argv elements', { ...command, argv: new LongArray('a', L.maxArgs) }, true);
  both('argv over maxArgs', 'maxArgs + 1', { ...command, argv: new LongArray('a', L.maxArgs + 1) }, false);
  both('argv empty', 'argv needs a program', { ...command, argv: [] }, false);
  both('argv[0] empty', 'argv[0] must name a program (a zod refinement, published as prefixItems)', { ...command, argv: [''] }, false);
  both('argv[0] empty, then arguments', 'argv[0] must name a program', { ...command, argv: ['', 'x'] }, false);
  both('argv[1] empty', 'an empty argument is fine', { ...command, argv: ['echo', ''] }, true);
  both('content at maxContentChars', 'maxContentChars', { ...write, content: new LongString('c', L.maxContentChars) }, true);
  both('content over maxContentChars', 'maxContentChars + 1', { ...write, content: new LongString('c', L.maxContentChars + 1) }, false);
  both('path at 4096', 'paths: at most 4096 characters', { ...read, path: new LongString('p', 4096) }, true);
  both('path over 4096', 'paths: 4097 characters', { ...read, path: new LongString('p', 4097) }, false);
  both('path of 4096 two-byte characters', 'paths count characters', { ...read, path: new LongString('é', 4096) }, true);
  both('id of 128', 'ids: at most 128 characters', { ...read, id: new LongString('a', 128) }, true);
  both('id of 129', 'ids: 129 characters', { ...read, id: new LongString('a', 129) }, false);
  both('max_bytes at maxOutputBytes', 'maxOutputBytes', { ...read, max_bytes: L.maxOutputBytes }, true);
  both('max_bytes over maxOutputBytes', 'maxOutputBytes + 1', { ...read, max_bytes: L.maxOutputBytes + 1 }, false);

  // maxMessageBytes: a write_file whose whole answer is exactly the limit in UTF-8 bytes, then one byte more (same characters).
  const wrapper = Buffer.byteLength(jsonText({ action: { ...write, content: '' } }).json);
  const twoByte = L.maxContentChars - wrapper;
  add('next-action-response/answer of exactly maxMessageBytes', 'maxMessageBytes: the largest body either side sends', 'next-action-response', { action: { ...write, content: new LongString('é', twoByte, 'x'.repeat(wrapper)) } }, true);
  add('next-action-response/answer of maxMessageBytes + 1', 'maxMessageBytes + 1 (one 1-byte character became 2 bytes)', 'next-action-response', { action: { ...write, content: new LongString('é', twoByte + 1, 'x'.repeat(wrapper - 1)) } }, false);
  const line = BASES['log-line'].boot as Record<string, unknown>;
  const lineWrapper = Buffer.byteLength(jsonText({ ...line, fields: { pad: '' } }).json);
  add('log-line/line of exactly maxMessageBytes', 'maxMessageBytes', 'log-line', { ...line, fields: { pad: new LongString('x', L.maxMessageBytes - lineWrapper) } }, true);
  add('log-line/line of maxMessageBytes + 1', 'maxMessageBytes + 1', 'log-line', { ...line, fields: { pad: new LongString('x', L.maxMessageBytes - lineWrapper + 1) } }, false);
  drafts.push({ id: 'limits/log-line/message and maxMessageBytes spaces', kind: 'log-line', why: 'maxMessageBytes counts whitespace too', text: { json: `${JSON.stringify(line)}@@FILL0@@`, fills: [['@@FILL0@@', ' ', L.maxMessageBytes]] }, expect: false });
  const lineBytes = Buffer.byteLength(JSON.stringify(line));
  drafts.push({ id: 'limits/log-line/message padded with spaces to maxMessageBytes', kind: 'log-line', why: 'whitespace up to the limit is fine', text: { json: `${JSON.stringify(line)}@@FILL0@@`, fills: [['@@FILL0@@', ' ', L.maxMessageBytes - lineBytes]] }, expect: true });

  // Nesting: the message itself is level 1; maxNestingDepth levels of objects and arrays, not one more.
  const nest = (levels: number, leaf: unknown = 1): unknown => (levels === 0 ? leaf : [nest(levels - 1, leaf)]);
  add('log-line/nesting at maxNestingDepth', 'maxNestingDepth: the message, fields, then 30 arrays = 32 levels', 'log-line', { ...line, fields: { deep: nest(L.maxNestingDepth - 2) } }, true);
  add('log-line/nesting over maxNestingDepth', 'maxNestingDepth + 1', 'log-line', { ...line, fields: { deep: nest(L.maxNestingDepth - 1) } }, false);
  add('log-line/nesting in objects at maxNestingDepth', 'objects count as arrays do', 'log-line', { ...line, fields: JSON.parse('{"a":'.repeat(L.maxNestingDepth - 2) + '{}' + '}'.repeat(L.maxNestingDepth - 2)) }, true);
  add('log-line/nesting in objects over maxNestingDepth', 'maxNestingDepth + 1', 'log-line', { ...line, fields: JSON.parse('{"a":'.repeat(L.maxNestingDepth - 1) + '{}' + '}'.repeat(L.maxNestingDepth - 1)) }, false);
  add('log-line/empty containers deep', 'an empty array is a level too', 'log-line', { ...line, fields: { deep: nest(L.maxNestingDepth - 2, []) } }, false);
  both('nesting in an extra field', 'an action is refused for the extra field and the depth', { ...read, extra: nest(40) }, false);
  add('next-action-response/1000 deep', 'far deeper than the limit', 'next-action-response', { action: { ...read, extra: nest(1000) } }, false);
  return drafts;
}

function duplicateKeyCases(): Draft[] {
  const why = 'RFC 8259 §4: names SHOULD be unique; parsers disagree on which one wins, so the contract refuses the message';
  const read = BASES.action.read_file as Record<string, unknown>;
  const pairs = (extra: Array<[string, unknown]>) => new Pairs([...Object.entries(read), ...extra]);
  const text = (id: string, kind: Kind, json: string, expect: boolean | undefined = false): Draft => ({ id: `duplicate keys/${id}`, kind, why, bytes: Buffer.from(json), expect });
  return [
    { id: 'duplicate keys/action id twice, different', kind: 'action', why, value: pairs([['id', 'r2']]), expect: false },
    { id: 'duplicate keys/action id twice, same', kind: 'action', why, value: pairs([['id', 'r1']]), expect: false },
    { id: 'duplicate keys/action path twice', kind: 'action', why, value: pairs([['path', '../../etc/passwd']]), expect: false },
    { id: 'duplicate keys/action in an answer, path twice', kind: 'next-action-response', why, value: { action: pairs([['path', 'y']]) }, expect: false },
    { id: 'duplicate keys/answer action twice', kind: 'next-action-response', why, value: new Pairs([['action', read], ['action', read]]), expect: false },
    { id: 'duplicate keys/done twice', kind: 'next-action-response', why, value: new Pairs([['done', true], ['done', true]]), expect: false },
    { id: 'duplicate keys/log fields', kind: 'log-line', why, value: { ...(BASES['log-line'].boot as object), fields: new Pairs([['a', 1], ['a', 1]]) }, expect: false },
    text('spelled differently (\\u0069d)', 'action', '{"id":"r1","type":"read_file","path":"x","\\u0069d":"r2"}'),
    text('policy serial twice', 'policy', JSON.stringify(BASES.policy['no rules']).replace('"serial":1', '"serial":1,"serial":2')),
    text('heartbeat state twice', 'heartbeat', '{"state":"idle","state":"running","current_action":null,"policy_revision":null}'),
  ];
}

function commandPatternCases(): Draft[] {
  const policy = BASES.policy['no rules'] as Record<string, unknown>;
  const rows: Array<[string, boolean, string]> = [
    ['echo *', true, 'a name, then an argument pattern'],
    ['echo', true, 'a name, no arguments'],
    ['*', true, 'any program'],
    ['* *', true, 'any program, any arguments'],
    ['/bin/echo *', true, 'an absolute path'],
    ['echo  *', true, 'the program ends at the first space'],
    ['ec*ho', false, 'no wildcard in the program'],
    ['ec?ho x', false, 'no ? in the program'],
    ['[e]cho', false, 'no [ in the program'],
    ['./echo', false, 'a relative path is neither a name nor absolute'],
    ['bin/echo', false, 'a relative path'],
    ['/bin/e*', false, 'no wildcard in a path'],
    [' echo', false, 'an empty program'],
    ['echo\t*', false, 'a tab is white space in the program'],
    ['echo\n*', false, 'a newline is white space in the program'],
    ['echo\u00a0*', false, 'U+00A0 is white space to ECMAScript \\s (Python\'s ASCII \\s would miss it)'],
    ['echo\u2028*', false, 'U+2028 is white space to ECMAScript \\s'],
    ['echo\u3000*', false, 'U+3000 is white space to ECMAScript \\s'],
    ['echo\ufeff', false, 'U+FEFF is white space to ECMAScript \\s'],
    ['échо', true, 'non-ASCII names are names'],
    ['', false, 'minLength 1'],
  ];
  return rows.map(([pattern, expect, why]) => ({ id: `policy/command pattern ${JSON.stringify(pattern)}`, kind: 'policy', why: `a command rule's program: ${why}`, value: { ...policy, rules: [{ id: 'r', effect: 'allow', actions: ['run_command'], commands: [pattern] }] }, expect }));
}

function syntaxCases(): Draft[] {
  const rows: Array<[string, Kind, string | Buffer, boolean, string]> = [
    ['NaN literal', 'next-action-response', '{"wait_ms": NaN}', false, 'RFC 8259 §6: NaN is not JSON'],
    ['Infinity literal', 'register-response', '{"task_id": "t", "heartbeat_interval_s": Infinity}', false, 'RFC 8259 §6'],
    ['-Infinity literal', 'action-result', '{"action_id":"a","status":"failed","decision":' + JSON.stringify(DECISION) + ',"duration_ms":-Infinity}', false, 'RFC 8259 §6'],
    ['trailing comma in an object', 'next-action-response', '{"done": true,}', false, 'RFC 8259 §4'],
    ['trailing comma in an array', 'action', '{"id":"a1","type":"run_command","argv":["echo",]}', false, 'RFC 8259 §5'],
    ['comment', 'next-action-response', '{"done": true /* no */}', false, 'RFC 8259 has no comments'],
    ['single quotes', 'next-action-response', "{'done': true}", false, 'RFC 8259 §7: strings are double-quoted'],
    ['unquoted key', 'next-action-response', '{done: true}', false, 'RFC 8259 §4'],
    ['\\x escape', 'heartbeat', '{"state":"idle","current_action":"\\x41","policy_revision":null}', false, 'RFC 8259 §7: no \\x escape'],
    ['short \\u escape', 'heartbeat', '{"state":"idle","current_action":"\\u41","policy_revision":null}', false, 'RFC 8259 §7: four hex digits'],
    ['\\U escape', 'heartbeat', '{"state":"idle","current_action":"\\U0041","policy_revision":null}', false, 'RFC 8259 §7: lower-case u only'],
    ['upper-case hex in \\u', 'heartbeat', '{"state":"idle","current_action":"\\u00C9\\uD83D\\uDE00","policy_revision":null}', true, 'RFC 8259 §7: hex digits of either case'],
    ['escaped solidus', 'heartbeat', '{"state":"idle","current_action":"a\\/b","policy_revision":null}', true, 'RFC 8259 §7: \\/ is /'],
    ['escaped ASCII everywhere', 'heartbeat', '{"\\u0073tate":"\\u0069dle","current_action":null,"policy_revision":null}', true, 'RFC 8259 §7: escapes of ASCII are the characters'],
    ['raw tab in a string', 'heartbeat', '{"state":"idle","current_action":"a\tb","policy_revision":null}', false, 'RFC 8259 §7: control characters must be escaped'],
    ['raw newline in a string', 'heartbeat', '{"state":"idle","current_action":"a\nb","policy_revision":null}', false, 'RFC 8259 §7'],
    ['raw DEL in a string', 'heartbeat', '{"state":"idle","current_action":"a\u007fb","policy_revision":null}', true, 'RFC 8259 §7: DEL need not be escaped'],
    ['raw U+2028 in a string', 'heartbeat', '{"state":"idle","current_action":"a\u2028b","policy_revision":null}', true, 'RFC 8259: U+2028 is fine in JSON strings'],
    ['escaped NUL', 'heartbeat', '{"state":"idle","current_action":"a\\u0000b","policy_revision":null}', true, 'RFC 8259 §7: \\u0000 is a character'],
    ['unterminated string', 'heartbeat', '{"state":"idle', false, 'RFC 8259'],
    ['unterminated object', 'next-action-response', '{"done": true', false, 'RFC 8259'],
    ['trailing garbage', 'next-action-response', '{"done": true} x', false, 'RFC 8259 §2: one value'],
    ['two values', 'next-action-response', '{"done": true} {}', false, 'RFC 8259 §2: one value'],
    ['empty', 'next-action-response', '', false, 'RFC 8259 §2: a value is needed'],
    ['only whitespace', 'next-action-response', ' \n\t\r', false, 'RFC 8259 §2'],
    ['JSON whitespace around', 'next-action-response', ' \n\t\r{"done":true} \n\t\r', true, 'RFC 8259 §2: space, tab, LF, CR'],
    ['U+00A0 around', 'next-action-response', '\u00a0{"done":true}', false, 'RFC 8259 §2: no other white space'],
    ['form feed around', 'next-action-response', '\f{"done":true}', false, 'RFC 8259 §2: form feed is not JSON white space'],
    ['array', 'next-action-response', '[{"done":true}]', false, 'every message is an object'],
    ['string', 'next-action-response', '"done"', false, 'every message is an object'],
    ['null', 'heartbeat', 'null', false, 'every message is an object'],
    ['number', 'heartbeat', '1', false, 'every message is an object'],
    ['true literal misspelled', 'next-action-response', '{"done": True}', false, 'RFC 8259 §3: literals are lower case'],
    ['empty array', 'action', '[]', false, 'an array is no action'],
    ['empty object', 'next-action-response', '{}', false, 'an answer says action, done or wait_ms'],
    ['two answers in one', 'next-action-response', '{"done": true, "wait_ms": 5}', false, 'exactly one of the three answers'],
    ['done false', 'next-action-response', '{"done": false}', false, 'done is only ever true'],
    ['wait_ms 1.0', 'next-action-response', '{"wait_ms": 1.0}', true, 'an integral float is an integer'],
    ['wait_ms -0', 'next-action-response', '{"wait_ms": -0}', true, '-0 is 0: not negative'],
    ['wait_ms -1', 'next-action-response', '{"wait_ms": -1}', false, 'nonnegative'],
    ['__proto__ in an action', 'action', '{"id":"a1","type":"list_files","__proto__":{"path":"x"}}', false, 'an own key named __proto__ is an unknown field, never a prototype'],
    ['__proto__ in log fields', 'log-line', JSON.stringify({ ...(BASES['log-line'].boot as object), fields: {} }).replace('"fields":{}', '"fields":{"__proto__":{"x":1}}'), true, 'free-form fields may use any name; it stays an own property'],
    ['constructor.prototype in log fields', 'log-line', JSON.stringify({ ...(BASES['log-line'].boot as object), fields: {} }).replace('"fields":{}', '"fields":{"constructor":{"prototype":{"x":1}}}'), true, 'free-form fields may use any name'],
  ];
  const bytes: Array<[string, Kind, Buffer, boolean, string]> = [
    ['UTF-8 BOM', 'next-action-response', Buffer.from('\ufeff{"done":true}'), false, 'RFC 8259 §8.1: no byte order mark'],
    ['UTF-16 with BOM', 'next-action-response', Buffer.from('\ufeff{"done":true}', 'utf16le'), false, 'RFC 8259 §8.1: UTF-8 only'],
    ['UTF-16 without BOM', 'next-action-response', Buffer.from('{"done":true}', 'utf16le'), false, 'RFC 8259 §8.1: UTF-8 only'],
    ['invalid byte 0xff', 'heartbeat', Buffer.from([...Buffer.from('{"state":"idle","current_action":"'), 0xff, ...Buffer.from('","policy_revision":null}')]), false, 'RFC 3629: 0xff is never UTF-8'],
    ['overlong /', 'heartbeat', Buffer.from([...Buffer.from('{"state":"idle","current_action":"'), 0xc0, 0xaf, ...Buffer.from('","policy_revision":null}')]), false, 'RFC 3629: overlong encodings are invalid'],
    ['surrogate encoded in UTF-8 (CESU)', 'heartbeat', Buffer.from([...Buffer.from('{"state":"idle","current_action":"'), 0xed, 0xa0, 0x80, ...Buffer.from('","policy_revision":null}')]), false, 'RFC 3629 §3: surrogates are not encoded'],
    ['truncated sequence', 'heartbeat', Buffer.from([...Buffer.from('{"state":"idle","current_action":"'), 0xe2, 0x82, ...Buffer.from('","policy_revision":null}')]), false, 'RFC 3629'],
    ['latin-1 é', 'heartbeat', Buffer.from([...Buffer.from('{"state":"idle","current_action":"caf'), 0xe9, ...Buffer.from('","policy_revision":null}')]), false, 'RFC 8259 §8.1: UTF-8, not latin-1'],
    ['code point over U+10FFFF', 'heartbeat', Buffer.from([...Buffer.from('{"state":"idle","current_action":"'), 0xf4, 0x90, 0x80, 0x80, ...Buffer.from('","policy_revision":null}')]), false, 'RFC 3629: nothing above U+10FFFF'],
    ['raw 4-byte UTF-8', 'heartbeat', Buffer.from('{"state":"idle","current_action":"😀","policy_revision":null}'), true, 'a character outside the BMP, raw'],
  ];
  return [
    ...rows.map(([id, kind, json, expect, why]) => ({ id: `syntax/${id}`, kind, why, bytes: Buffer.from(json as string), expect })),
    ...bytes.map(([id, kind, raw, expect, why]) => ({ id: `bytes/${id}`, kind, why, bytes: raw, expect })),
  ];
}

function handCases(): Draft[] {
  const drafts: Draft[] = [];
  for (const kind of KINDS) {
    for (const [base, message] of Object.entries(BASES[kind])) {
      drafts.push({ id: `${kind}/${base}/valid`, kind, why: 'a valid message of the kind', value: message, expect: true });
      drafts.push(...stringCases(kind, base, message), ...typeCases(kind, base, message), ...numberCases(kind, base, message));
    }
  }
  return [...drafts, ...dateTimeCases(), ...limitCases(), ...duplicateKeyCases(), ...commandPatternCases(), ...syntaxCases()];
}

// -- generated cases -------------------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so the corpus is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PALETTE: unknown[] = [
  null, true, false, 0, 1, -1, 0.5, 60, 3600, 4194304, 4194305, 9007199254740991, new Raw('9007199254740992'), new Raw('-0'), new Raw('1.0'), new Raw('1e308'), new Raw('1e309'), new Raw('1e-400'),
  '', 'a', 'echo', '.', '..', 'a\u0000b', '\ud800', 'x\udc00', '\ud83d\ude00', 'é', [], [1], ['echo'], [''], {}, { a: 1 }, 'idle', 'run_command', 'allow', 'succeeded', '2026-12-07T14:00:00Z', '2020-01-01',
];
/** Lengths around the contract's string limits, where a mutation stretches a string. */
const STRETCH = [0, 1, 127, 128, 129, 4095, 4096, 4097, L.maxArgChars - 1, L.maxArgChars, L.maxArgChars + 1, L.maxContentChars, L.maxContentChars + 1];
const ARRAY_STRETCH = [0, 1, 2, L.maxArgs - 1, L.maxArgs, L.maxArgs + 1];
const INSERTS = ['\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00', '\u0000', 'é', '\u2028', '"', '\\'];

function generatedCases(count: number, seed: number): Draft[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const drafts: Draft[] = [];
  const seen = new Set<string>();
  for (let attempt = 0; drafts.length < count && attempt < count * 5; attempt++) {
    const kind = pick(KINDS);
    const base = pick(Object.keys(BASES[kind]));
    let message: unknown = clone(BASES[kind][base]);
    const steps: string[] = [];
    const mutations = 1 + Math.floor(next() * 3);
    for (let m = 0; m < mutations; m++) {
      const nodes = leaves(message).filter(({ value }) => !(value instanceof Raw || value instanceof LongString || value instanceof LongArray));
      if (nodes.length === 0) break;
      const { path, value } = pick(nodes);
      const objects = nodes.filter(({ value: v }) => isPlainObject(v));
      const choice = Math.floor(next() * 8);
      if (choice === 0 && path.length > 0) {
        message = deleteAt(message, path);
        steps.push(`drop ${at(path)}`);
      } else if (choice === 1 && objects.length > 0) {
        const target = pick(objects);
        const name = pick(['extra', 'id', 'type', 'path', 'argv', 'done', 'action', 'fields', 'rules', '__proto__', 'é', '\ud800']);
        message = setAt(message, [...target.path, name], pick(PALETTE));
        steps.push(`add ${at([...target.path, name])}`);
      } else if (choice === 2) {
        message = setAt(message, path, pick(PALETTE));
        steps.push(`replace ${at(path)}`);
      } else if (choice === 3 && typeof value === 'string') {
        const where = Math.floor(next() * (value.length + 1));
        const insert = pick(INSERTS);
        message = setAt(message, path, value.slice(0, where) + insert + value.slice(where));
        steps.push(`insert ${JSON.stringify(insert)} into ${at(path)}`);
      } else if (choice === 4 && typeof value === 'string') {
        const length = pick(STRETCH);
        message = setAt(message, path, new LongString(pick(['x', 'é', '😀', 'a']), length));
        steps.push(`stretch ${at(path)} to ${length}`);
      } else if (choice === 5 && Array.isArray(value)) {
        const length = pick(ARRAY_STRETCH);
        message = setAt(message, path, new LongArray(value[0] ?? 'a', length));
        steps.push(`stretch ${at(path)} to ${length} items`);
      } else if (choice === 6 && path.length > 0) {
        const levels = pick([1, 2, 28, 29, 30, 31, 32, 40]);
        let wrapped: unknown = value;
        for (let level = 0; level < levels; level++) wrapped = [wrapped];
        message = setAt(message, path, wrapped);
        steps.push(`nest ${at(path)} ${levels} deeper`);
      } else if (choice === 7 && objects.length > 0) {
        const target = pick(objects);
        const entries = Object.entries(target.value as object);
        if (entries.length > 0) {
          const [key, child] = pick(entries);
          message = setAt(message, target.path, new Pairs([...entries, [key, next() < 0.5 ? child : pick(PALETTE)]]));
          steps.push(`repeat key ${at([...target.path, key])}`);
        }
      }
    }
    if (steps.length === 0) continue;
    const { json } = jsonText(message);
    if (seen.has(json)) continue;
    seen.add(json);
    drafts.push({ id: `generated/${String(drafts.length).padStart(4, '0')}`, kind, why: `${kind} ${base}: ${steps.join('; ')}`, value: message, generated: true });
  }
  return drafts;
}

// -- the verdict ---------------------------------------------------------------------------------------------------

/** Bytes as JSON text when they are UTF-8 without a BOM (the corpus stays readable), else as base64. */
function bytesSource(bytes: Buffer): { json?: string; base64?: string } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    if (!text.startsWith('\ufeff')) return { json: text };
  } catch {
    // not UTF-8
  }
  return { base64: bytes.toString('base64') };
}

export function caseBytes(c: Pick<CorpusCase, 'json' | 'fills' | 'base64'>): Buffer {
  return c.base64 !== undefined ? Buffer.from(c.base64, 'base64') : Buffer.from(expandText(c.json!, c.fills), 'utf8');
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.join('.') || '(message)'}: ${issue.message}`.slice(0, 200);
}

/** The control plane's verdict: the wire rules, then the kind's zod schema. */
export function controlPlaneVerdict(kind: Kind, body: Buffer): { valid: boolean; reason?: string } {
  let value: unknown;
  try {
    value = parseContractMessage(body);
  } catch (error) {
    return { valid: false, reason: (error as Error).message.slice(0, 200) };
  }
  const outcome = (CONTRACT_SCHEMAS[kind] as z.ZodType).safeParse(value);
  return outcome.success ? { valid: true } : { valid: false, reason: firstIssue(outcome.error) };
}

export const GENERATED_CASES = 3000;
export const GENERATOR_SEED = 21;

export interface Corpus {
  cases: CorpusCase[];
  /** Hand-written cases whose verdict is not what their rule says. */
  unexpected: string[];
  handWritten: number;
  generated: number;
}

export function buildCorpus(): Corpus {
  const drafts = [...handCases(), ...generatedCases(GENERATED_CASES, GENERATOR_SEED)];
  const ids = new Set<string>();
  const cases: CorpusCase[] = [];
  const unexpected: string[] = [];
  for (const draft of drafts) {
    if (ids.has(draft.id)) throw new Error(`corpus case ${draft.id} appears twice`);
    ids.add(draft.id);
    const source = draft.text ?? (draft.bytes !== undefined ? bytesSource(draft.bytes) : jsonText(draft.value));
    if (source.json !== undefined && hasLoneSurrogate(source.json)) throw new Error(`corpus case ${draft.id}: its text holds a raw lone surrogate`);
    const verdict = controlPlaneVerdict(draft.kind, caseBytes(source));
    if (draft.expect !== undefined && verdict.valid !== draft.expect) unexpected.push(`${draft.id}: ${verdict.valid ? 'valid' : `invalid (${verdict.reason})`}, expected ${draft.expect ? 'valid' : 'invalid'}`);
    cases.push({ id: draft.id, kind: draft.kind, why: draft.why, ...source, valid: verdict.valid, ...(verdict.reason === undefined ? {} : { reason: verdict.reason }) });
  }
  const generated = drafts.filter((draft) => draft.generated).length;
  return { cases, unexpected, handWritten: drafts.length - generated, generated };
}

export function corpusFileText(corpus: Corpus): string {
  const about = {
    about: 'The contract corpus: every case is a message (json, fills expanded: each [marker, unit, count] replaces marker by unit x count; or base64 bytes) of a kind, with the control plane\'s verdict. Generated by libs/agent-contract/test/contract-corpus.ts (npx nx run agent-contract:contract-corpus); images/base/tests/test_contract_corpus.py holds the runtime to the same verdicts. Do not edit.',
    hand_written: corpus.handWritten,
    generated: corpus.generated,
    seed: GENERATOR_SEED,
  };
  const head = JSON.stringify(about).slice(0, -1);
  return `${head},\n"cases": [\n${corpus.cases.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`;
}
