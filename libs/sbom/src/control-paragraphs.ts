/** One paragraph of a Debian control file: field names lower-cased, values as written (continuation lines kept). */
export type ControlParagraph = Map<string, string>;

/**
 * Splits deb822 text (dpkg's status database, a DEP-5 copyright file) into
 * paragraphs. A field runs from `Name: value` to the next line that does not
 * start with a space or tab; a blank line ends the paragraph; `#` lines are
 * comments.
 */
export function parseControlParagraphs(text: string): ControlParagraph[] {
  const paragraphs: ControlParagraph[] = [];
  let current: ControlParagraph = new Map();
  let field: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.size > 0) paragraphs.push(current);
      current = new Map();
      field = undefined;
    } else if (line.startsWith('#')) {
      continue;
    } else if (/^[ \t]/.test(line)) {
      if (field) current.set(field, `${current.get(field)}\n${line}`);
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      field = line.slice(0, colon).trim().toLowerCase();
      current.set(field, line.slice(colon + 1).trim());
    }
  }
  if (current.size > 0) paragraphs.push(current);
  return paragraphs;
}
