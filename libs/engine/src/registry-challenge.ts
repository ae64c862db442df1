/** What a registry's `WWW-Authenticate` asks for: `Basic realm="..."` or `Bearer realm="...",service="...",scope="..."`. */
export interface RegistryChallenge {
  scheme: 'basic' | 'bearer';
  /** Parameter names in lower case: realm, service, scope, error. */
  params: Record<string, string>;
}

// One auth-param: name=token or name="quoted string" (a scope holds commas: "repository:a:pull,push").
const PARAM = /\s*([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/y;

/**
 * The challenge of a 401 answer, or undefined when the header is missing or
 * names a scheme other than Basic or Bearer. Several challenges in one header
 * (rare among registries) yield the first.
 */
export function parseRegistryChallenge(header: string | null): RegistryChallenge | undefined {
  const match = /^\s*(Basic|Bearer)\b\s*/i.exec(header ?? '');
  if (!match) return undefined;
  const params: Record<string, string> = {};
  PARAM.lastIndex = match[0].length;
  for (let param = PARAM.exec(header!); param; param = PARAM.exec(header!)) {
    params[param[1].toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3];
    if (PARAM.lastIndex >= header!.length) break;
  }
  return { scheme: match[1].toLowerCase() as RegistryChallenge['scheme'], params };
}
