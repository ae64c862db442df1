import { UserError } from '@taskforge/user-errors';
import { registryCredentials, type RegistryCredentials } from './docker-config';
import { registryBaseUrl } from './registry-address';
import { parseRegistryChallenge, type RegistryChallenge } from './registry-challenge';
import { cachedRegistryToken, registryToken } from './registry-token';

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH';
  /** From /v2/ on, or an absolute URL the registry answered with (the Location of a blob upload). */
  path: string;
  /** The token scope the request needs, e.g. `repository:openclaw-base:pull`, or `repository:openclaw-base:pull,push` to write. */
  scope: string;
  headers?: Record<string, string>;
  /** Sent as is; a buffer, not a stream, so the request can be sent again after an auth challenge. */
  body?: Buffer | string;
  /** The whole exchange, answer included; 10 s unless a large body goes either way. */
  timeoutMs?: number;
  /** For the unreachable-registry message: "checking localhost:5000/openclaw-base:1.0.0". */
  purpose: string;
}

// The challenge each registry last answered with: later requests send a cached token or Basic at once, without a 401 round trip.
const challenges = new Map<string, RegistryChallenge>();

function basicAuthorization(credentials: RegistryCredentials | undefined): string | undefined {
  if (!credentials?.username) return undefined;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

interface Authorization {
  header?: string;
  /** A token fetched for this very request: when the registry refuses it, another would be refused too. */
  fresh: boolean;
}

/** What to send before the registry has said anything this time: nothing for a registry not met yet. */
async function knownAuthorization(registry: string, scope: string, credentials: RegistryCredentials | undefined): Promise<Authorization> {
  const known = challenges.get(registry);
  if (!known) return { fresh: false };
  if (known.scheme === 'basic') return { header: basicAuthorization(credentials), fresh: false };
  const cached = await cachedRegistryToken(registry, scope, credentials);
  if (cached) return { header: `Bearer ${cached}`, fresh: false };
  return { header: `Bearer ${await registryToken(registry, known, scope, credentials)}`, fresh: true };
}

/**
 * One request to a registry's HTTP API with the user's docker login, the way
 * the engine does it: a 401 with a Basic challenge is answered with Basic
 * credentials, one with a Bearer challenge with a token from its realm (GET
 * with Basic or anonymous, or the OAuth2 refresh grant for an identity token),
 * then the request is sent once more. A refused token request is a UserError;
 * a registry that still refuses answers 401/403 for the caller to report.
 */
export async function registryRequest(registry: string, request: RegistryRequest): Promise<Response> {
  const credentials = registryCredentials(registry);
  const base = registryBaseUrl(registry);
  const url = /^https?:\/\//.test(request.path) ? request.path : `${base}${request.path}`;
  // An upload Location on another host (a storage backend) gets no credentials of this registry.
  const sameOrigin = new URL(url).origin === new URL(base).origin;
  const send = async (authorization: string | undefined): Promise<Response> => {
    try {
      return await fetch(url, {
        method: request.method,
        headers: { ...request.headers, ...(authorization && sameOrigin ? { Authorization: authorization } : {}) },
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: AbortSignal.timeout(request.timeoutMs ?? 10000),
      });
    } catch (error) {
      const reason = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
      throw new UserError(`registry ${registry} is not reachable (${reason}) while ${request.purpose}: start it (\`npm run engine:up\` for localhost:5000) or set IMAGE_REGISTRY.`);
    }
  };
  const sent = await knownAuthorization(registry, request.scope, credentials);
  const response = await send(sent.header);
  if (response.status !== 401) return response;
  const challenge = parseRegistryChallenge(response.headers.get('www-authenticate'));
  if (!challenge) return response;
  challenges.set(registry, challenge);
  let retry: string | undefined;
  if (challenge.scheme === 'basic') retry = basicAuthorization(credentials);
  else if (!sent.fresh) retry = `Bearer ${await registryToken(registry, challenge, request.scope, credentials, sent.header?.replace(/^Bearer /, ''))}`;
  // The same credentials again would be refused again; a cached token that was refused is replaced by a new one above.
  if (!retry || retry === sent.header) return response;
  await response.body?.cancel();
  return send(retry);
}
