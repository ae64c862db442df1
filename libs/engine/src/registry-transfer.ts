import type Docker from 'dockerode';
import { parseImageReference } from '@taskforge/image-model';
import { UserError } from '@taskforge/user-errors';
import { describeCredentials, registryCredentials } from './docker-config';
import { readEngineStream, type EngineMessage } from './engine-stream';
import { tagImage } from './image-store';

export interface PushResult {
  reference: string;
  digest: string;
  size?: number;
}

/**
 * The engine's X-Registry-Auth for the reference's registry. The engine runs
 * the token flow itself: Basic credentials for the realm, or the identity
 * token for its OAuth2 refresh grant (without it the engine would offer the
 * empty password a token login leaves in `auth`).
 */
function authFor(reference: string) {
  const { registry } = parseImageReference(reference);
  const credentials = registry ? registryCredentials(registry) : undefined;
  if (!credentials) return undefined;
  const { username, password, serveraddress, identitytoken } = credentials;
  return identitytoken ? { username, identitytoken, serveraddress } : { username, password, serveraddress };
}

/** Turns what the engine says about a failed registry call into one line with the fix. */
export function registryFailure(action: 'push' | 'pull', reference: string, message: string): UserError {
  const registry = parseImageReference(reference).registry ?? 'the default registry';
  if (/unauthorized|authentication required|denied|no basic auth credentials/i.test(message)) {
    return new UserError(`${action} ${reference}: ${registry} refused ${describeCredentials(registry)}: run \`docker login ${registry}\` (or set DOCKER_CONFIG) with an account that may ${action}.`);
  }
  if (/connection refused|no such host|i\/o timeout|dial tcp|EOF|server misbehaving/i.test(message)) {
    return new UserError(`${action} ${reference}: registry ${registry} is not reachable (${message.trim()}): start it (\`npm run engine:up\` for localhost:5000) or set IMAGE_REGISTRY.`);
  }
  return new UserError(`${action} ${reference}: ${message.trim()}`);
}

// The status line every engine prints when a push ends: `1.0.0: digest: sha256:<hex> size: 1234`.
const PUSHED_STATUS = /(?:^|\s)digest: (sha256:[0-9a-f]{64}) size: (\d+)/;

/**
 * The digest and size a push stream reports. The classic image store sends them in an `aux` message too; the
 * containerd image store (Docker 27 to 29, moby/moby#48331) only in the final status line, so both are read.
 */
export function pushedDigest(message: EngineMessage): { digest: string; size?: number } | undefined {
  const aux = message.aux as { Digest?: string; Size?: number } | undefined;
  if (aux?.Digest) return { digest: aux.Digest, size: aux.Size };
  const status = message.status ? PUSHED_STATUS.exec(message.status) : null;
  return status ? { digest: status[1], size: Number(status[2]) } : undefined;
}

/** Pushes one tag; resolves with the digest the registry stored. */
export async function pushImage(docker: Docker, reference: string, onMessage?: (m: EngineMessage) => void): Promise<PushResult> {
  const { tag } = parseImageReference(reference);
  const image = docker.getImage(reference);
  let result: PushResult | undefined;
  try {
    const stream = await image.push({ tag, authconfig: authFor(reference) } as never);
    await readEngineStream(stream as never, (message) => {
      const pushed = pushedDigest(message);
      if (pushed) result = { reference, ...pushed };
      onMessage?.(message);
    });
  } catch (error) {
    throw registryFailure('push', reference, (error as Error).message);
  }
  if (!result) throw new UserError(`push ${reference}: the engine did not report a digest; see its log.`);
  return result;
}

/** Tags an image (by ID or reference) as `reference` and pushes that tag: the one way anything here reaches a registry. */
export async function pushAs(docker: Docker, image: string, reference: string, onMessage?: (m: EngineMessage) => void): Promise<PushResult> {
  await tagImage(docker, image, reference);
  return pushImage(docker, reference, onMessage);
}

/** Pulls a reference; resolves false when the registry does not have it. */
export async function pullImage(docker: Docker, reference: string, onMessage?: (m: EngineMessage) => void): Promise<boolean> {
  try {
    const stream = await docker.pull(reference, { authconfig: authFor(reference) } as never);
    await readEngineStream(stream as never, onMessage);
    return true;
  } catch (error) {
    const message = (error as Error).message ?? '';
    if (/manifest unknown|not found|does not exist/i.test(message) || (error as { statusCode?: number }).statusCode === 404) return false;
    throw registryFailure('pull', reference, message);
  }
}
