import { Agent, get, type IncomingHttpHeaders } from 'node:http';
import { chooseApiVersion, engineApi } from './api-version';
import { engineAddress, engineClient } from './connect';

/**
 * The engine as a run's set-up asks it, before any task: the API version both sides speak, and which of the run's
 * images it has. Runs before every Nx task run, so it speaks HTTP to the engine directly instead of loading
 * dockerode (~140 ms); TLS engines go through dockerode.
 */
export interface EngineQuery {
  /** The API version the ping chose (the lower of the engine's and the newest tested). */
  apiVersion: string;
  /**
   * Reference -> image ID (the engine's handle: config digest on the classic store, manifest digest on containerd's)
   * for each of `references` the engine has. One inspection each, a few at a time, so the cost follows the run's
   * graph, not the engine's store. (A list by label was one request, but on the containerd image store the engine
   * works out every listed image's size: 0.3 to 0.5 s for 14 images on Docker 28.5, against 20 to 40 ms for 25
   * inspections, measured on the nested engines.) References it does not answer for in time are left out.
   */
  imageIds(references: readonly string[]): Promise<Map<string, string>>;
}

/** Inspections at a time: enough to hide the round trips, few enough not to queue on the engine. */
const CONCURRENCY = 8;

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

type Target = { socketPath: string } | { host: string; port: number };

/** One GET on the engine's socket or TCP port; undefined when it does not answer within the time. */
function rawGet(target: Target, path: string, timeoutMs: number, agent?: Agent): Promise<RawAnswer | undefined> {
  return new Promise((resolve) => {
    const request = get({ ...target, path, timeout: timeoutMs, agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

/** Runs `each` over `items`, at most `limit` at a time. */
async function inBatches<T>(items: readonly T[], limit: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Through dockerode, for engines behind TLS or addresses the raw client does not speak. */
async function queryThroughDockerode(timeoutMs: number): Promise<EngineQuery | undefined> {
  const docker = engineClient();
  const within = <T>(work: Promise<T>) => Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref())]);
  const api = await within(engineApi(docker)).catch(() => undefined);
  if (!api) return undefined;
  return {
    apiVersion: api.version,
    imageIds: async (references) => {
      const ids = new Map<string, string>();
      await within(
        inBatches([...new Set(references)], CONCURRENCY, async (reference) => {
          const info = await docker.getImage(reference).inspect().catch(() => undefined);
          if (info) ids.set(reference, info.Id);
        }),
      ).catch(() => undefined);
      return ids;
    },
  };
}

/**
 * Pings the engine DOCKER_HOST names and picks the API version, as every client here does. Undefined when the engine
 * does not answer within `timeoutMs`, or is one this code does not speak to: the tasks' own clients then say why
 * in one line.
 */
export async function queryEngine(timeoutMs: number): Promise<EngineQuery | undefined> {
  const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(host);
  if (process.env.DOCKER_TLS_VERIFY || !(host.startsWith('unix://') || tcp)) return queryThroughDockerode(timeoutMs);
  const target: Target = host.startsWith('unix://') ? { socketPath: host.slice('unix://'.length) } : { host: tcp![1], port: Number(tcp![2]) };
  const ping = await rawGet(target, '/_ping', timeoutMs);
  if (!ping || ping.status !== 200) return undefined;
  let apiVersion: string;
  try {
    apiVersion = chooseApiVersion(String(ping.headers['api-version'] ?? ''), ping.headers.server as string | undefined, engineAddress());
  } catch {
    return undefined;
  }
  return {
    apiVersion,
    imageIds: async (references) => {
      const ids = new Map<string, string>();
      const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      try {
        await inBatches([...new Set(references)], CONCURRENCY, async (reference) => {
          const answer = await rawGet(target, `/v${apiVersion}/images/${encodeURIComponent(reference)}/json`, timeoutMs, agent);
          try {
            if (answer?.status === 200) ids.set(reference, (JSON.parse(answer.body) as { Id: string }).Id);
          } catch {
            // An answer that is not JSON counts as no image: the task then checks for itself.
          }
        });
      } finally {
        agent.destroy();
      }
      return ids;
    },
  };
}
