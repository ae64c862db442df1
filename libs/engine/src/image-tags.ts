import { get } from 'node:http';
import { engineClient } from './connect';

/**
 * Tag -> image ID for every image carrying `label`, in one request. Runs
 * before every Nx task run, so it speaks HTTP to the engine directly instead
 * of loading dockerode (~140 ms) for a single GET; TLS engines go through
 * dockerode. Resolves an empty map when the engine does not answer in time.
 */
export async function imageTagsWithLabel(label: string, timeoutMs: number): Promise<Map<string, string>> {
  const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(host);
  const path = `/images/json?filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`;
  const tags = new Map<string, string>();
  const collect = (images: Array<{ Id: string; RepoTags?: string[] | null }>) => {
    for (const image of images) for (const tag of image.RepoTags ?? []) tags.set(tag, image.Id);
    return tags;
  };
  if (process.env.DOCKER_TLS_VERIFY || !(host.startsWith('unix://') || tcp)) {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref());
    return Promise.race([engineClient().listImages({ filters: { label: [label] } }), timeout]).then(collect, () => tags);
  }
  const target = host.startsWith('unix://') ? { socketPath: host.slice('unix://'.length) } : { host: tcp![1], port: Number(tcp![2]) };
  return new Promise((resolve) => {
    const request = get({ ...target, path, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 ? collect(JSON.parse(body)) : tags);
        } catch {
          resolve(tags);
        }
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(tags));
  });
}
