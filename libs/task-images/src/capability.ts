import { quoteValue, RequestRefused } from './request-refused';

// The strict grammar of what an agent may ask for. Everything here is ASCII and whole-string anchored (no `m` flag,
// so `$` never matches before a trailing newline); a request that does not match is refused before any catalogue
// look-up, and nothing of it is ever rendered: the Dockerfile and its files come from catalogue entries only.

/** The kinds of capability an agent may ask for. */
export const CAPABILITY_KINDS = ['pip_package', 'apt_package'] as const;
export type CapabilityKind = (typeof CAPABILITY_KINDS)[number];

/** The longest capability string accepted. */
export const MAX_CAPABILITY_CHARS = 200;

/** Most capabilities one request may ask for. */
export const MAX_CAPABILITIES = 50;

/** A PEP 508 project name as written (any case, `.`, `_` and `-` inside). */
export const PIP_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** A PEP 503 normalized project name: lowercase, words joined by single hyphens (how the catalogue spells names). */
export const CANONICAL_PIP_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** A strict subset of PEP 440 public versions: release, optional a/b/rc, .post and .dev, in normalized spelling. */
export const PIP_VERSION = /^[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?$/;

/**
 * A Debian package name (Debian Policy 5.6.1: lowercase letters, digits, `+`, `-`, `.`, at least two characters,
 * starting with a letter or digit), not ending in `-` or `.`: apt-get reads `name-` as "remove name".
 */
export const DEBIAN_NAME = /^[a-z0-9][a-z0-9+.-]*[a-z0-9+]$/;

/** A Debian version (Policy 5.6.12), without `/` and with `:` only after a numeric epoch. */
export const DEBIAN_VERSION = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*$/;

/** The lowercase hex SHA-256 of a wheel, as pip's `--hash=sha256:` wants it. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The pattern without its anchors, to compose. */
const inner = (pattern: RegExp): string => pattern.source.slice(1, -1);
const PIP_REQUEST = new RegExp(`^pip_package:(${inner(PIP_NAME)})==(${inner(PIP_VERSION)})$`);
const APT_REQUEST = new RegExp(`^apt_package:(${inner(DEBIAN_NAME)})(?:=(${inner(DEBIAN_VERSION)}))?$`);
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * The rule for task ids: the control plane's (TASK_ID_PATTERN in libs/control-plane-server/src/server.ts, kept equal
 * by a test), so every task it creates can have an image. It also fits a Docker tag.
 */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const ACCEPTED_FORMS = 'accepted: pip_package:NAME==VERSION, apt_package:NAME, apt_package:NAME=VERSION';

/** One capability an agent asked for, after the grammar. */
export interface CapabilityRequest {
  /** What installs it: pip (from the package index, by hash) or apt (from Debian). */
  readonly kind: CapabilityKind;
  /** The package name; for pip in PEP 503 normalized form (`Python_Dateutil` asks for `python-dateutil`). */
  readonly name: string;
  /** The exact version asked for; always set for pip, optional for apt (then the catalogue must approve any version). */
  readonly version?: string;
  /** The request string as received (it matched the grammar, so it is printable ASCII); for messages only. */
  readonly text: string;
}

/** PEP 503 normalization: lowercase, every run of `-`, `_` and `.` one `-`. */
export function canonicalPipName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** `kind:name`, the identity of a package whatever its version (what a request may name only once). */
export function capabilityId(request: Pick<CapabilityRequest, 'kind' | 'name'>): string {
  return `${request.kind}:${request.name}`;
}

function refuse(index: number, value: unknown, why: string): never {
  throw new RequestRefused(400, `capabilities[${index}]: ${quoteValue(value)} ${why}; ${ACCEPTED_FORMS}.`);
}

/** Parses the capability at `index` of a request; anything outside the grammar is a RequestRefused 400. */
export function parseCapability(value: unknown, index: number): CapabilityRequest {
  if (typeof value !== 'string') refuse(index, value, 'is not a string');
  if (value.length > MAX_CAPABILITY_CHARS) refuse(index, value, `is longer than ${MAX_CAPABILITY_CHARS} characters`);
  if (!PRINTABLE_ASCII.test(value)) refuse(index, value, 'holds a space or a character outside printable ASCII');
  const pip = PIP_REQUEST.exec(value);
  if (pip) return { kind: 'pip_package', name: canonicalPipName(pip[1]), version: pip[2], text: value };
  const apt = APT_REQUEST.exec(value);
  if (apt) return apt[2] === undefined ? { kind: 'apt_package', name: apt[1], text: value } : { kind: 'apt_package', name: apt[1], version: apt[2], text: value };
  return refuse(index, value, 'is not a capability');
}

/**
 * Parses a request's capability list: an array of 1 to MAX_CAPABILITIES strings, each naming a different package
 * (two versions of one package, or one package twice, is refused). RequestRefused 400 otherwise.
 */
export function parseCapabilityList(value: unknown): CapabilityRequest[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_CAPABILITIES) {
    const got = Array.isArray(value) ? `an array of ${value.length}` : quoteValue(value);
    throw new RequestRefused(400, `capabilities: expected an array of 1 to ${MAX_CAPABILITIES} capability strings, got ${got}.`);
  }
  const seen = new Map<string, number>();
  const requests: CapabilityRequest[] = [];
  for (let index = 0; index < value.length; index += 1) {
    const request = parseCapability(value[index], index);
    const id = capabilityId(request);
    const first = seen.get(id);
    if (first !== undefined) {
      throw new RequestRefused(400, `capabilities[${index}]: ${quoteValue(request.text)} names the same package as capabilities[${first}] (${id}); ask for each package once.`);
    }
    seen.set(id, index);
    requests.push(request);
  }
  return requests;
}

/** Parses a task id by the control plane's rule; RequestRefused 400 otherwise. */
export function parseTaskId(value: unknown): string {
  if (typeof value === 'string' && TASK_ID_PATTERN.test(value)) return value;
  throw new RequestRefused(400, `task id ${quoteValue(value)} is not valid; use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit.`);
}
