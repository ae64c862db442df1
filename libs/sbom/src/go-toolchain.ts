/** A Go toolchain (its standard library is compiled into every program it builds). */
export interface GoToolchain {
  /** Without the `go` prefix: `1.19.8`. */
  version: string;
  /** Its GOROOT. */
  location: string;
}

/** The toolchain version from `$GOROOT/VERSION` (`go1.19.8`, newer ones add `time ...` lines); undefined for anything else. */
export function parseGoVersionFile(text: string, location: string): GoToolchain | undefined {
  const match = /^go(\d+(?:\.\d+)*(?:(?:rc|beta)\d+)?)\s*$/.exec(text.split(/\r?\n/)[0].trim());
  return match ? { version: match[1], location } : undefined;
}
