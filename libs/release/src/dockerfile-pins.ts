/**
 * Moves every pinned reference to `image` (`image:X.Y.Z` in ARG defaults,
 * FROM and COPY/RUN --from) to `version`. Returns the new text and the
 * 1-based lines it changed; digests and references to other images stay.
 */
export function repinImage(text: string, image: string, version: string): { text: string; changedLines: number[] } {
  const escaped = image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  // The name must stand alone (not the tail of another name or a registry path segment of another image).
  const reference = new RegExp(`(^|[\\s=/"])(${escaped}):([0-9]+\\.[0-9]+\\.[0-9]+(?:-[0-9A-Za-z.-]+)?)(?=$|[\\s"@])`, 'g');
  const changedLines: number[] = [];
  const lines = text.split('\n').map((line, index) => {
    if (!/^\s*(ARG|FROM|COPY|RUN)\b/i.test(line)) return line;
    const updated = line.replace(reference, (_match, lead: string, name: string) => `${lead}${name}:${version}`);
    if (updated !== line) changedLines.push(index + 1);
    return updated;
  });
  return { text: lines.join('\n'), changedLines };
}

/** The version `image` is pinned to in a Dockerfile, or null when it is not pinned to one. */
export function pinnedVersion(text: string, image: string): string | null {
  const escaped = image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`(?:^|[\\s=/"])${escaped}:([0-9]+\\.[0-9]+\\.[0-9]+(?:-[0-9A-Za-z.-]+)?)(?=$|[\\s"@])`, 'm').exec(
    text
      .split('\n')
      .filter((line) => /^\s*(ARG|FROM|COPY|RUN)\b/i.test(line))
      .join('\n'),
  );
  return match ? match[1] : null;
}
