import { parseControlParagraphs } from './control-paragraphs';

/** Whether a copyright file is machine-readable: its header paragraph names the DEP-5 format. */
function isMachineReadable(text: string): boolean {
  const header = parseControlParagraphs(text.slice(0, 8192).split(/\r?\n[ \t]*\r?\n/)[0])[0];
  const format = header?.get('format') ?? header?.get('format-specification');
  return format !== undefined && /copyright-format|dep5/i.test(format);
}

/**
 * The distinct licence short names a machine-readable (DEP-5) copyright file
 * declares, in order of first appearance: the first line of every `License:`
 * field, split where it combines names (`GPL-2+ or Artistic`, `GPL-2+ or
 * Artistic-2.0, and BSD-3-clause`); an exception stays with its licence
 * (`GPL-2+ with OpenSSL exception`). Undefined when the file is not
 * machine-readable: free-form text names no licence reliably.
 */
export function debianCopyrightLicenses(text: string): string[] | undefined {
  if (!isMachineReadable(text)) return undefined;
  const names = new Set<string>();
  for (const match of text.matchAll(/^License:[ \t]*(.*)$/gim)) {
    for (const name of match[1].split(/\s*,\s*(?:(?:or|and)\s+)?|\s+(?:or|and)\s+/i)) {
      const trimmed = name.trim();
      if (trimmed) names.add(trimmed);
    }
  }
  return [...names];
}
