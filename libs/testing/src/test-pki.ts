import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  ca: Buffer;
  key: Buffer;
  cert: Buffer;
  keyFile: string;
  certFile: string;
  caFile: string;
}

/** A throwaway CA and a server certificate it signed for one IP address (127.0.0.1 by default), made with the openssl CLI. */
export function makeTestPki(ip = '127.0.0.1'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'test-pki-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=taskforge test CA');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${ip}`);
  writeFileSync(join(dir, 'san.ext'), `subjectAltName=IP:${ip}\n`);
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');
  const file = (name: string) => join(dir, name);
  return { dir, ca: readFileSync(file('ca.pem')), key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')), keyFile: file('server.key'), certFile: file('server.pem'), caFile: file('ca.pem') };
}

/** A JSON request over HTTPS trusting only `ca` (Node's fetch takes no CA option); `Body` is the answer the caller expects. */
export function httpsJson<Body = Record<string, unknown>>(
  url: string,
  options: { ca?: Buffer; servername?: string; method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; body: Body }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        servername: options.servername,
        headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
