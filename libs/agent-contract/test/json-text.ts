/**
 * Writes JSON text that JSON.stringify cannot: numbers spelled as given (1.0, -0, 1e309, NaN), objects with a key
 * twice, and long strings or arrays as a "fill" (a marker the corpus expands to `unit` x `count`), so that a case
 * at a limit of 4 MiB stays a line of the corpus file. Lone surrogates are written as \u escapes (JSON.stringify's
 * well-formed form), so the text itself is always valid UTF-16.
 */

/** A number (or anything else) written exactly as `text`. */
export class Raw {
  constructor(readonly text: string) {}
}

/** A string of `prefix` + `unit` x `count` + `suffix`, written through a fill. */
export class LongString {
  constructor(readonly unit: string, readonly count: number, readonly prefix = '', readonly suffix = '') {}
}

/** An array of `item` x `count` (then `tail`), written through a fill. */
export class LongArray {
  constructor(readonly item: unknown, readonly count: number, readonly tail: unknown[] = []) {}
}

/** An object written with exactly these pairs, in order, keys repeated as they are. */
export class Pairs {
  constructor(readonly pairs: Array<[string, unknown]>) {}
}

export type Fill = [marker: string, unit: string, count: number];

export interface JsonText {
  json: string;
  fills?: Fill[];
}

const quote = (text: string) => JSON.stringify(text);

export function jsonText(value: unknown): JsonText {
  const fills: Fill[] = [];
  const fill = (unit: string, count: number) => {
    const marker = `@@FILL${fills.length}@@`;
    fills.push([marker, unit, count]);
    return marker;
  };
  const write = (item: unknown): string => {
    if (item instanceof Raw) return item.text;
    if (item instanceof LongString) return `${quote(item.prefix).slice(0, -1)}${fill(quote(item.unit).slice(1, -1), item.count)}${quote(item.suffix).slice(1)}`;
    if (item instanceof LongArray) {
      const rest = item.tail.map(write);
      if (item.count === 0) return `[${rest.join(',')}]`;
      const unit = `${write(item.item)},`;
      return rest.length > 0 ? `[${fill(unit, item.count)}${rest.join(',')}]` : `[${fill(unit, item.count - 1)}${write(item.item)}]`;
    }
    if (item instanceof Pairs) return `{${item.pairs.map(([key, child]) => `${quote(key)}:${write(child)}`).join(',')}}`;
    if (Array.isArray(item)) return `[${item.map(write).join(',')}]`;
    if (item !== null && typeof item === 'object') return `{${Object.entries(item).map(([key, child]) => `${quote(key)}:${write(child)}`).join(',')}}`;
    if (typeof item === 'number' && !Number.isFinite(item)) throw new Error(`write ${item} as Raw`);
    return JSON.stringify(item);
  };
  const json = write(value);
  return fills.length > 0 ? { json, fills } : { json };
}

/** The text a case stands for, fills expanded. */
export function expandText(json: string, fills: readonly Fill[] = []): string {
  let text = json;
  for (const [marker, unit, count] of fills) text = text.split(marker).join(unit.repeat(count));
  return text;
}
