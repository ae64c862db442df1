import { createHash } from 'node:crypto';
import { UserError } from '@taskforge/user-errors';
import { describeCredentials, type RegistryCredentials } from './docker-config';
import type { RegistryChallenge } from './registry-challenge';

/** Sent as client_id, which the OAuth2 form requires and token services log. */
const CLIENT_ID = 'taskforge-nx-images';
/** The distribution token spec's lifetime when a token service names none. */
const DEFAULT_LIFETIME_S = 60;
/** A token is not reused this close to its expiry, so it cannot run out between the check and the registry's answer. */
const EXPIRY_MARGIN_MS = 10_000;

interface CachedToken {
  token: string;
  /** Date.now() after which the token is fetched anew. */
  reuseUntil: number;
}

// Per registry, scope and login: tokens of one account never answer for another (DOCKER_CONFIG can change within a process).
const tokens = new Map<string, Promise<CachedToken>>();

function cacheKey(registry: string, scope: string, credentials: RegistryCredentials | undefined): string {
  const login = credentials ? createHash('sha256').update(`${credentials.username}\0${credentials.password}\0${credentials.identitytoken ?? ''}`).digest('hex') : 'anonymous';
  return `${registry}\0${scope}\0${login}`;
}

/** The action a scope asks for, for messages: "repository:x:pull,push" -> "push". */
function actionOf(scope: string): string {
  return scope.split(':').pop()!.split(',').includes('push') ? 'push' : 'pull';
}

async function requestToken(registry: string, challenge: RegistryChallenge, scope: string, credentials: RegistryCredentials | undefined): Promise<CachedToken> {
  const realm = challenge.params.realm;
  if (!realm || !/^https?:\/\//.test(realm)) {
    throw new UserError(`${registry} asked for a bearer token without a usable realm (${realm ?? 'none'}); check the registry's auth settings.`);
  }
  const service = challenge.params.service;
  const url = new URL(realm);
  let init: RequestInit;
  if (credentials?.identitytoken) {
    // OAuth2 refresh-token grant (distribution's token spec, "oauth"): what `docker login` left in place of the password.
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identitytoken, client_id: CLIENT_ID, scope });
    if (service) form.set('service', service);
    init = { method: 'POST', body: form };
  } else {
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (credentials?.username) {
      url.searchParams.set('account', credentials.username);
      headers.Authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    init = { method: 'GET', headers };
  }
  const startedAt = Date.now();
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(10000) });
  } catch (error) {
    const reason = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
    throw new UserError(`the token service of ${registry} (${realm}) is not reachable (${reason}); check the registry's auth settings or your network.`);
  }
  if ([400, 401, 403].includes(response.status)) {
    throw new UserError(
      `${registry} refused ${describeCredentials(registry, credentials)} for ${scope} (token service ${realm} answered HTTP ${response.status}): run \`docker login ${registry}\` (or set DOCKER_CONFIG) with an account that may ${actionOf(scope)}.`,
    );
  }
  if (!response.ok) throw new UserError(`the token service of ${registry} (${realm}) answered HTTP ${response.status} for ${scope}; check its log.`);
  const body = (await response.json().catch(() => ({}))) as { token?: string; access_token?: string; expires_in?: number };
  const token = body.token || body.access_token;
  if (!token) throw new UserError(`the token service of ${registry} (${realm}) answered without a token for ${scope}; check its log.`);
  const lifetimeS = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_LIFETIME_S;
  return { token, reuseUntil: startedAt + lifetimeS * 1000 - EXPIRY_MARGIN_MS };
}

/** A bearer token from the cache while it has not expired (or while the request for it runs). */
export async function cachedRegistryToken(registry: string, scope: string, credentials: RegistryCredentials | undefined): Promise<string | undefined> {
  const cached = await tokens.get(cacheKey(registry, scope, credentials))?.catch(() => undefined);
  return cached && Date.now() < cached.reuseUntil ? cached.token : undefined;
}

/**
 * A bearer token for `scope` from the realm of `challenge`: GET with Basic
 * credentials (or none), or the OAuth2 refresh-token POST when the login is an
 * identity token. Cached per registry, scope and login until shortly before it
 * expires; callers that meet the same challenge at once share one request, and
 * `rejected` (a token the registry just refused) is never handed out again.
 * A refusal is a one-line UserError naming the fix.
 */
export async function registryToken(
  registry: string,
  challenge: RegistryChallenge,
  scope: string,
  credentials: RegistryCredentials | undefined,
  rejected?: string,
): Promise<string> {
  const key = cacheKey(registry, scope, credentials);
  const current = await cachedRegistryToken(registry, scope, credentials);
  if (current && current !== rejected) return current;
  const pending = requestToken(registry, challenge, scope, credentials);
  tokens.set(key, pending);
  try {
    return (await pending).token;
  } catch (error) {
    if (tokens.get(key) === pending) tokens.delete(key);
    throw error;
  }
}
