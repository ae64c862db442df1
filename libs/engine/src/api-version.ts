import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import { isUserError, UserError } from '@taskforge/user-errors';

/**
 * The Engine API versions this code speaks. Every request names one, chosen
 * once per client from what the engine answers on `/_ping`: an unversioned
 * request gets the engine's newest API, whose answers this code was never
 * checked against (Docker 26.1 answers with 1.45, 29 with 1.52).
 */
export const ENGINE_API = {
  /** Docker 20.10, the oldest engine the tests run on. */
  oldest: '1.41',
  /** Docker 28.5, the newest engine the tests run on; a newer engine is spoken to in this version. */
  newestTested: '1.51',
} as const;

/** What the engine said of itself on `/_ping`, and the version every request of this client now names. */
export interface NegotiatedApi {
  /** The engine's own newest API version (`API-Version`). */
  engineApi: string;
  /** `Docker/28.5.2 (linux)` from the `Server` header, when the engine sends one. */
  server?: string;
  /** min(engineApi, ENGINE_API.newestTested) */
  version: string;
}

/** Compares dotted API versions numerically: 1.9 < 1.41. */
export function compareApiVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/** The version both sides speak; refuses, in one line, an engine older than the oldest this code speaks. */
export function chooseApiVersion(engineApi: string, server: string | undefined, where: string): string {
  if (!/^\d+\.\d+$/.test(engineApi)) {
    throw new UserError(`The engine at ${where} answered /_ping with API-Version "${engineApi}", which is not a version: point DOCKER_HOST at a Docker Engine.`);
  }
  if (compareApiVersions(engineApi, ENGINE_API.oldest) < 0) {
    const name = server ? `${server.replace(/\s*\(.*\)$/, '')}, ` : '';
    throw new UserError(
      `The engine at ${where} (${name}API ${engineApi}) is older than this tooling supports (API ${ENGINE_API.oldest}, Docker 20.10): upgrade it to Docker 20.10 or newer, or point DOCKER_HOST at a newer engine (\`npm run engine:up\` starts one).`,
    );
  }
  return compareApiVersions(engineApi, ENGINE_API.newestTested) > 0 ? ENGINE_API.newestTested : engineApi;
}

type Dial = (options: Record<string, unknown>, callback: (error: Error | null, result?: unknown) => void) => void;
interface Modem {
  dial: Dial;
  version?: string;
}

const negotiations = new WeakMap<Docker, () => Promise<NegotiatedApi>>();

/**
 * Makes every request of `docker` name the negotiated API version: the first
 * request waits for an unversioned `/_ping`, later ones use its answer. A
 * failed ping (engine not up yet) is not remembered, so a client made before
 * the engine starts works once it answers.
 */
export function negotiateApiVersion(docker: Docker, where: string): void {
  const modem = docker.modem as unknown as Modem;
  const dial = modem.dial.bind(modem) as Dial;
  let pending: Promise<NegotiatedApi> | undefined;
  const negotiate = () =>
    (pending ??= new Promise<NegotiatedApi>((resolve, reject) => {
      dial({ path: '/_ping', method: 'GET', isStream: true, statusCodes: { 200: true, 500: 'server error' } }, (error, result) => {
        if (error) return reject(error);
        const response = result as IncomingMessage;
        response.resume();
        const engineApi = String(response.headers['api-version'] ?? '');
        const server = response.headers.server as string | undefined;
        try {
          resolve({ engineApi, server, version: chooseApiVersion(engineApi || '(none)', server, where) });
        } catch (refusal) {
          reject(refusal);
        }
      });
    }).then(
      (api) => {
        modem.version = `v${api.version}`;
        return api;
      },
      (error: Error) => {
        if (!isUserError(error)) pending = undefined;
        throw error;
      },
    ));
  modem.dial = (options, callback) => {
    if (modem.version) return dial(options, callback);
    negotiate().then(
      () => dial(options, callback),
      (error: Error) => callback(error),
    );
  };
  negotiations.set(docker, negotiate);
}

/** The API this client speaks to its engine (negotiating first when no request has yet). */
export async function engineApi(docker: Docker): Promise<NegotiatedApi> {
  const negotiate = negotiations.get(docker);
  if (!negotiate) throw new Error('engineApi: the client was not made by engineClient()');
  return negotiate();
}
