import { UserError } from './user-error';

/** `capabilities[2].versions["2.0.0"].requires[0]`: where a value sits in a JSON file, as a reader finds it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) text += text ? `.${key}` : key;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text || '(top level)';
}

/** A value of a file as one line of printable ASCII, cut to about 80 characters. */
export function shortJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = (JSON.stringify(value) ?? String(value)).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The value at `path` in parsed JSON, or undefined. */
export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** One line: the file, the field, what is wrong with the value, and the fix. */
export function fieldError(file: string, path: readonly PropertyKey[], value: unknown, problem: string, fix: string): UserError {
  return new UserError(`${file}: field ${formatPath(path)}: ${problem} (got ${shortJson(value)}); ${fix}.`);
}
