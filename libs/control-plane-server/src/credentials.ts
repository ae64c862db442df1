import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefixes make a leaked token recognisable (secret scanners, logs) and tell the two kinds apart at a glance. */
export const AGENT_TOKEN_PREFIX = 'tfa_';
export const OPERATOR_TOKEN_PREFIX = 'tfo_';
/** A shorter operator token is refused: it would be guessable, and it guards every task. */
export const MIN_OPERATOR_TOKEN_CHARS = 16;

const TOKEN_BYTES = 32;

/** SHA-256 of a token: what the control plane keeps instead of the token itself. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A new agent token (32 random bytes, base64url) and its hash; the token is handed out once and never stored. */
export function issueAgentToken(): { token: string; hash: Buffer } {
  const token = `${AGENT_TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

export function generateOperatorToken(): string {
  return `${OPERATOR_TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`;
}

/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header ?? '');
  return match?.[1];
}

const UNKNOWN = hashToken(randomBytes(TOKEN_BYTES).toString('hex'));

/**
 * Whether the presented token hashes to `expected`. Comparing fixed-size
 * hashes with timingSafeEqual leaks neither the token's length nor how much
 * of it was right. Without an expected hash (no such task) the comparison
 * still runs, against a throwaway hash, so a wrong token for an unknown task
 * costs the same as for a known one.
 */
export function tokenMatches(presented: string | undefined, expected: Buffer | undefined): boolean {
  const reference = expected ?? UNKNOWN;
  const equal = timingSafeEqual(hashToken(presented ?? ''), reference);
  return presented !== undefined && expected !== undefined && equal;
}
