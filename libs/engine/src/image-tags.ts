import { get, type IncomingHttpHeaders } from 'node:http';
import { chooseApiVersion } from './api-version';
import { engineAddress, engineClient } from './connect';

/** What the engine said of the images carrying a label, and of its API, before a run's tasks. */
export interface LabelledImages {
  /** Tag -> image ID (the engine's handle: config digest on the classic store, manifest digest on containerd's). */
  tags: Map<string, string>;
  /** The API version the request named, or undefined when the engine did not answer in time. */
  apiVersion?: string;
}

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One GET on the engine's socket or TCP port; undefined when it does not answer within the time. */
function rawGet(target: { socketPath: string } | { host: string; port: number }, path: string, timeoutMs: number): Promise<RawAnswer | undefined> {
  return new Promise((resolve) => {
    const request = get({ ...target, path, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

/**
 * Tag -> image ID for every image carrying `label`, in one request after a
 * ping that picks the API version (as every client here does). Runs before
 * every Nx task run, so it speaks HTTP to the engine directly instead of
 * loading dockerode (~140 ms) for two GETs; TLS engines go through dockerode.
 * Resolves an empty map when the engine does not answer in time, or is one
 * this code does not speak to.
 */
export async function imageTagsWithLabel(label: string, timeoutMs: number): Promise<LabelledImages> {
  const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(host);
  const query = `/images/json?filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`;
  const tags = new Map<string, string>();
  const collect = (images: Array<{ Id: string; RepoTags?: string[] | null }>) => {
    for (const image of images) for (const tag of image.RepoTags ?? []) tags.set(tag, image.Id);
    return tags;
  };
  if (process.env.DOCKER_TLS_VERIFY || !(host.startsWith('unix://') || tcp)) {
    const docker = engineClient();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref());
    return Promise.race([docker.listImages({ filters: { label: [label] } }), timeout]).then(
      (images) => ({ tags: collect(images), apiVersion: (docker.modem as unknown as { version?: string }).version?.slice(1) }),
      () => ({ tags }),
    );
  }
  const target = host.startsWith('unix://') ? { socketPath: host.slice('unix://'.length) } : { host: tcp![1], port: Number(tcp![2]) };
  const ping = await rawGet(target, '/_ping', timeoutMs);
  let apiVersion: string;
  try {
    if (!ping || ping.status !== 200) return { tags };
    apiVersion = chooseApiVersion(String(ping.headers['api-version'] ?? ''), ping.headers.server as string | undefined, engineAddress());
  } catch {
    // An engine too old (or no engine): the tasks' own clients say so in one line.
    return { tags };
  }
  const answer = await rawGet(target, `/v${apiVersion}${query}`, timeoutMs);
  try {
    if (answer?.status === 200) collect(JSON.parse(answer.body));
  } catch {
    // An answer that is not JSON counts as no images: the tasks then check for themselves.
  }
  return { tags, apiVersion };
}
