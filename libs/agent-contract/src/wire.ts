import { z } from 'zod';
import { CONTRACT_LIMITS } from './limits';

/**
 * How a message of the contract travels: the rules for its bytes and its JSON,
 * the same on both ends. The runtime's `parse_message`
 * (images/base/agent/contract_schema.py) applies them to what it receives; here
 * `parseContractMessage` applies them for the control plane's side, and the
 * differential test (libs/agent-contract/test/contract-corpus.spec.ts) holds
 * both to one corpus.
 *
 * - at most `maxMessageBytes` bytes of UTF-8 (no BOM, no invalid sequence);
 * - JSON as RFC 8259 §2-§7 has it (no NaN/Infinity, no comments, no trailing
 *   commas, numbers as JSON writes them);
 * - numbers are IEEE 754 doubles, as in JavaScript (RFC 8259 §6): one that
 *   overflows to infinity is refused;
 * - no lone surrogate in any string or key, escaped or not (RFC 8259 §8.2: such
 *   a string is not interoperable; UTF-8 cannot encode it);
 * - no object with a key twice (RFC 8259 §4: parsers disagree on which wins);
 * - objects and arrays nested at most `maxNestingDepth` deep (the outermost counts 1).
 */
export class ContractJsonError extends Error {}

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one (UTF-16 code units). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

export const LONE_SURROGATE_MESSAGE = 'must not hold a lone surrogate (RFC 8259 §8.2; UTF-8 cannot encode it)';

/** A string of the contract: any string UTF-8 can encode, i.e. without a lone surrogate. Every string field uses it. */
export function contractString() {
  return z.string().refine((value) => !hasLoneSurrogate(value), LONE_SURROGATE_MESSAGE);
}

/**
 * The first thing wrong with a parsed JSON value under the wire rules that a
 * schema cannot see (lone surrogates in strings and keys, non-finite numbers,
 * nesting), or undefined. `depth` is how deep the value sits (the message itself is 1).
 */
export function jsonTreeProblem(value: unknown, depth = 1, strings = true): string | undefined {
  const stack: Array<[unknown, number]> = [[value, depth]];
  while (stack.length > 0) {
    const [item, level] = stack.pop()!;
    if (typeof item === 'string') {
      if (strings && hasLoneSurrogate(item)) return `a string ${LONE_SURROGATE_MESSAGE}`;
    } else if (typeof item === 'number') {
      if (!Number.isFinite(item)) return `${item} is not a finite number`;
    } else if (item !== null && typeof item === 'object') {
      if (level > CONTRACT_LIMITS.maxNestingDepth) return `nests deeper than ${CONTRACT_LIMITS.maxNestingDepth} levels`;
      for (const [key, child] of Object.entries(item)) {
        if (strings && hasLoneSurrogate(key)) return `a key ${LONE_SURROGATE_MESSAGE}`;
        stack.push([child, level + 1]);
      }
    } else if (item !== true && item !== false && item !== null) {
      return `${typeof item} is not a JSON value`;
    }
  }
  return undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex -- RFC 8259 §7: control characters end a run of plain string text
const PLAIN = /[^"\\\u0000-\u001f]*/y;
const ESCAPES = new Map(Object.entries({ '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }));

/** Parses one message body (bytes as received, or text already decoded) under the wire rules; ContractJsonError says why not. */
export function parseContractMessage(body: Uint8Array | string): unknown {
  let text: string;
  if (typeof body === 'string') {
    if (hasLoneSurrogate(body)) throw new ContractJsonError('message is not UTF-8 (it holds a raw lone surrogate)');
    const size = Buffer.byteLength(body, 'utf8');
    if (size > CONTRACT_LIMITS.maxMessageBytes) throw new ContractJsonError(`message is ${size} bytes, over the contract's ${CONTRACT_LIMITS.maxMessageBytes}`);
    text = body;
  } else {
    if (body.length > CONTRACT_LIMITS.maxMessageBytes) throw new ContractJsonError(`message is ${body.length} bytes, over the contract's ${CONTRACT_LIMITS.maxMessageBytes}`);
    try {
      text = decoder.decode(body);
    } catch {
      throw new ContractJsonError('message is not UTF-8');
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = FAILED;
  }
  // Valid UTF-8 holds no surrogate, so only an escape (\uD800-\uDFFF) can make one: without such an escape no string
  // needs the check, which for a large output is most of the cost.
  const surrogateEscapes = SURROGATE_ESCAPE.test(text);
  const problem =
    value === FAILED ? 'is not JSON' : (jsonTreeProblem(value, 1, surrogateEscapes) ?? (keysInText(text) !== keysInTree(value) ? 'has an object with a key twice' : undefined));
  if (problem === undefined) return value;
  // Refused: for a message small enough, the exact reason and offset from the rule-by-rule parser; a large one is not
  // parsed twice, so that a stream of large bad messages costs the control plane what good ones do.
  if (text.length <= PRECISE_ERROR_CHARS) new Parser(text).document();
  throw new ContractJsonError(`message ${problem}`);
}

const FAILED = Symbol('not JSON');
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** Up to this many characters a refused message is parsed once more to say exactly where and why (a few ms at most). */
const PRECISE_ERROR_CHARS = 64 * 1024;
/** Every JSON string token, and whether a ':' follows it (then it is a key). Outside strings JSON has no '"', so a scan from the start meets only opening quotes. */
const STRING_TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?/g;

/** How many keys the text writes: JSON.parse keeps the last of two equal keys, so fewer in the tree means a key twice. */
function keysInText(text: string): number {
  let keys = 0;
  STRING_TOKEN.lastIndex = 0;
  for (let match = STRING_TOKEN.exec(text); match !== null; match = STRING_TOKEN.exec(text)) if (match[1] !== undefined) keys += 1;
  return keys;
}

function keysInTree(value: unknown): number {
  let keys = 0;
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item !== null && typeof item === 'object') {
      const children = Array.isArray(item) ? item : Object.values(item);
      if (!Array.isArray(item)) keys += children.length;
      for (const child of children) stack.push(child);
    }
  }
  return keys;
}

class Parser {
  private at = 0;

  constructor(private readonly text: string) {}

  document(): unknown {
    this.space();
    const value = this.value(1);
    this.space();
    if (this.at !== this.text.length) this.fail('unexpected text after the value');
    return value;
  }

  private fail(why: string): never {
    throw new ContractJsonError(`message is not JSON: ${why} at offset ${this.at}`);
  }

  private space(): void {
    const { text } = this;
    while (this.at < text.length) {
      const c = text.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.at++;
    }
  }

  private value(depth: number): unknown {
    const c = this.text[this.at];
    if (c === '{' || c === '[') {
      if (depth > CONTRACT_LIMITS.maxNestingDepth) throw new ContractJsonError(`message nests deeper than ${CONTRACT_LIMITS.maxNestingDepth} levels`);
      return c === '{' ? this.object(depth) : this.array(depth);
    }
    if (c === '"') return this.string();
    for (const [word, literal] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return literal;
      }
    }
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail(c === undefined ? 'unexpected end' : `unexpected ${JSON.stringify(c)}`);
    this.at += match[0].length;
    const number = Number(match[0]);
    if (!Number.isFinite(number)) throw new ContractJsonError(`number ${match[0].slice(0, 40)} is out of range`);
    return number;
  }

  private object(depth: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    const keys = new Set<string>();
    this.at++;
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return object;
    }
    for (;;) {
      if (this.text[this.at] !== '"') this.fail('expected a key');
      const key = this.string();
      if (keys.has(key)) throw new ContractJsonError(`key ${JSON.stringify(key.slice(0, 60))} appears twice in one object`);
      keys.add(key);
      this.space();
      if (this.text[this.at] !== ':') this.fail('expected ":"');
      this.at++;
      this.space();
      // defineProperty, as JSON.parse does: a "__proto__" key is an own property, never the prototype.
      Object.defineProperty(object, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.space();
      const next = this.text[this.at++];
      if (next === '}') return object;
      if (next !== ',') this.fail('expected "," or "}"');
      this.space();
    }
  }

  private array(depth: number): unknown[] {
    const array: unknown[] = [];
    this.at++;
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return array;
    }
    for (;;) {
      array.push(this.value(depth + 1));
      this.space();
      const next = this.text[this.at++];
      if (next === ']') return array;
      if (next !== ',') this.fail('expected "," or "]"');
      this.space();
    }
  }

  private string(): string {
    const { text } = this;
    const start = this.at;
    this.at++;
    let out = '';
    for (;;) {
      PLAIN.lastIndex = this.at;
      out += PLAIN.exec(text)![0];
      this.at = PLAIN.lastIndex;
      const c = text[this.at];
      if (c === '"') {
        this.at++;
        break;
      }
      if (c !== '\\') this.fail(c === undefined ? 'unterminated string' : 'control character in a string');
      const escape = text[this.at + 1];
      if (escape === 'u') {
        const hex = text.slice(this.at + 2, this.at + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail('invalid \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.at += 6;
      } else if (escape !== undefined && ESCAPES.has(escape)) {
        out += ESCAPES.get(escape);
        this.at += 2;
      } else {
        this.fail('invalid escape');
      }
    }
    if (hasLoneSurrogate(out)) {
      this.at = start;
      throw new ContractJsonError(`string at offset ${start} ${LONE_SURROGATE_MESSAGE}`);
    }
    return out;
  }
}
