import { request } from 'node:http';

export interface SocketAnswer {
  status: number;
  body: string;
}

/**
 * One GET to an engine API on a unix socket, without a Docker client: enough to ask a nested engine whether it
 * answers and which version it is, whatever DOCKER_HOST the process has.
 */
export function socketGet(socketPath: string, path: string, timeoutMs = 2000): Promise<SocketAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer on ${socketPath} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** True when an engine on this socket answers `_ping` with OK. */
export async function socketEngineAnswers(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const answer = await socketGet(socketPath, '/_ping', timeoutMs);
    return answer.status === 200 && answer.body === 'OK';
  } catch {
    return false;
  }
}

/** The engine's own version and its API version, as `docker version` reports them for the server. */
export async function socketEngineVersion(socketPath: string): Promise<{ engineVersion: string; apiVersion: string }> {
  const answer = await socketGet(socketPath, '/version');
  if (answer.status !== 200) throw new Error(`GET /version on ${socketPath} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  const version = JSON.parse(answer.body) as { Version: string; ApiVersion: string };
  return { engineVersion: version.Version, apiVersion: version.ApiVersion };
}
