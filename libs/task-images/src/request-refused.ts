/** The longest message a RequestRefused carries; longer ones are cut (they never are, with the quoting below). */
export const MAX_REFUSAL_CHARS = 300;

/** How many characters of an offending value a message quotes (after escaping). */
const QUOTE_CHARS = 80;

/** Characters that end or break a line somewhere (terminals, logs, HTTP headers, Dockerfiles, JavaScript): C0, DEL, C1, U+2028, U+2029. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeUnit(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * A request the image builder will not serve, and why, in one line an HTTP API answers as is: 400 when it is not a
 * well-formed request, 403 when it is well formed but not approved. The message never holds a control character or
 * a line separator, and is at most MAX_REFUSAL_CHARS long, whatever it is built from.
 */
export class RequestRefused extends Error {
  override readonly name = 'RequestRefused';

  constructor(
    /** The HTTP status to answer with: 400 malformed, 403 not approved. */
    readonly status: 400 | 403,
    message: string,
  ) {
    const line = message.replace(LINE_BREAKING, escapeUnit);
    super(line.length > MAX_REFUSAL_CHARS ? `${line.slice(0, MAX_REFUSAL_CHARS - 3)}...` : line);
  }
}

export function isRequestRefused(error: unknown): error is RequestRefused {
  return error instanceof Error && error.name === 'RequestRefused' && ((error as RequestRefused).status === 400 || (error as RequestRefused).status === 403);
}

/**
 * A value from a request, fit to quote in a one-line message: strings as a JSON string with every character outside
 * printable ASCII escaped as \uXXXX (so no homoglyph, zero-width or line-separator character is ever echoed), cut to
 * about 80 characters with the full length said; other values by their type.
 */
export function quoteValue(value: unknown): string {
  if (typeof value === 'string') {
    let quoted = '';
    let used = 0;
    for (; used < value.length; used += 1) {
      const unit = value[used];
      const escaped = unit === '"' || unit === '\\' ? `\\${unit}` : unit >= ' ' && unit <= '~' ? unit : escapeUnit(unit);
      if (quoted.length + escaped.length > QUOTE_CHARS) break;
      quoted += escaped;
    }
    return used < value.length ? `"${quoted}"... (${value.length} characters)` : `"${quoted}"`;
  }
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : 'a number';
  if (typeof value === 'boolean') return `the boolean ${value}`;
  return `a value of type ${typeof value}`;
}
