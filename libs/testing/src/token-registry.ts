import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID, sign, X509Certificate } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registryAnswers, waitFor } from '@taskforge/engine-setup';
import { makeTestPki } from './test-pki';

/** One request the token service answered, as a test counts and inspects them. */
export interface TokenRequest {
  method: 'GET' | 'POST';
  /** How the caller proved who it is. */
  grant: 'anonymous' | 'basic' | 'password' | 'refresh_token';
  account?: string;
  clientId?: string;
  /** As asked: `repository:NAME:pull,push`. */
  scopes: string[];
  status: number;
}

export interface TokenRegistry {
  /** `localhost:PORT`, as image references name it. */
  address: string;
  /** The token service's URL, which the registry's challenge names. */
  realm: string;
  /** The one account: may pull and push every repository. */
  user: string;
  password: string;
  /** Every request the token service answered, oldest first. */
  tokenRequests: TokenRequest[];
  /** expires_in of the tokens issued from now on. */
  tokenLifetimeSeconds: number;
  /** A refresh token for `user`, as `docker login` keeps in place of the password. */
  issueIdentityToken(): string;
  /** A DOCKER_CONFIG folder with this login for the registry, written as `docker login` writes it; no login: an empty config. */
  dockerConfig(login?: { user: string; password: string } | { user: string; identityToken: string }): string;
  stop(): Promise<void>;
}

export interface TokenRegistryOptions {
  /** The registry listens on 127.0.0.1:registryPort, the token service on 127.0.0.1:tokenPort. */
  registryPort: number;
  tokenPort: number;
  /** Repositories anyone may pull without credentials (the token service grants `pull` anonymously). */
  publicRepositories?: string[];
}

const SERVICE = 'taskforge-token-registry';
const ISSUER = 'taskforge-test-token-service';

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/**
 * A real distribution registry (Debian's docker-registry) with `auth: token`
 * on loopback, and the token service it trusts: ES256 JWTs whose x5c header
 * chains to the registry's rootcertbundle. The service answers the
 * distribution token spec's GET (Basic or anonymous, `offline_token=true`
 * adds a refresh token, as `docker login` asks) and its OAuth2 POST (password
 * or refresh_token grant), grants what the account may do of the scopes
 * asked, and records every request so a test can count token fetches.
 */
export async function startTokenRegistry(options: TokenRegistryOptions): Promise<TokenRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'token-registry-'));
  const pki = makeTestPki();
  const signingCert = new X509Certificate(pki.cert).raw.toString('base64');
  const user = 'ci-pusher';
  const password = 'correct horse battery staple';
  const refreshTokens = new Map<string, string>();
  const publicRepositories = new Set(options.publicRepositories ?? []);
  const realm = `http://127.0.0.1:${options.tokenPort}/token`;

  const issueRefreshToken = (account: string) => {
    const token = randomBytes(24).toString('hex');
    refreshTokens.set(token, account);
    return token;
  };

  // What `account` (undefined: anonymous) gets of one asked scope; nothing for scopes it may not have.
  const grant = (account: string | undefined, scope: string) => {
    const [type, ...rest] = scope.split(':');
    const asked = (rest.pop() ?? '').split(',');
    const name = rest.join(':');
    if (type !== 'repository' || !name) return undefined;
    const allowed = account ? ['pull', 'push'] : publicRepositories.has(name) ? ['pull'] : [];
    const actions = asked.filter((action) => allowed.includes(action));
    return actions.length ? { type, name, actions } : undefined;
  };

  const signToken = (account: string | undefined, scopes: string[]) => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [signingCert] };
    const claims = {
      iss: ISSUER,
      sub: account ?? '',
      aud: SERVICE,
      exp: now + registry.tokenLifetimeSeconds,
      nbf: now,
      iat: now,
      jti: randomUUID(),
      access: scopes.map((scope) => grant(account, scope)).filter((access) => access !== undefined),
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    // JWS ES256 wants r||s, not DER.
    const signature = sign('sha256', Buffer.from(signingInput), { key: pki.key, dsaEncoding: 'ieee-p1363' });
    return { token: `${signingInput}.${base64url(signature)}`, expires_in: registry.tokenLifetimeSeconds, issued_at: new Date(now * 1000).toISOString() };
  };

  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', realm);
    if (url.pathname !== '/token' || (request.method !== 'GET' && request.method !== 'POST')) return sendJson(response, 404, { errors: [{ code: 'NOT_FOUND' }] });
    const record = (entry: Omit<TokenRequest, 'method'>) => {
      registry.tokenRequests.push({ method: request.method as TokenRequest['method'], ...entry });
      return entry.status;
    };
    if (request.method === 'GET') {
      const scopes = url.searchParams.getAll('scope').flatMap((scope) => scope.split(' ')).filter(Boolean);
      const clientId = url.searchParams.get('client_id') ?? undefined;
      const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (!basic) {
        record({ grant: 'anonymous', clientId, scopes, status: 200 });
        return sendJson(response, 200, signToken(undefined, scopes));
      }
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const account = decoded.slice(0, decoded.indexOf(':'));
      if (account !== user || decoded.slice(account.length + 1) !== password) {
        record({ grant: 'basic', account, clientId, scopes, status: 401 });
        response.setHeader('www-authenticate', `Basic realm="${realm}"`);
        return sendJson(response, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'wrong user name or password' }] });
      }
      record({ grant: 'basic', account, clientId, scopes, status: 200 });
      const refresh = url.searchParams.get('offline_token') === 'true' ? { refresh_token: issueRefreshToken(account) } : {};
      return sendJson(response, 200, { ...signToken(account, scopes), ...refresh });
    }
    // The OAuth2 form: scopes are space-separated in one field.
    const form = new URLSearchParams(await readBody(request));
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const clientId = form.get('client_id') ?? undefined;
    const grantType = form.get('grant_type');
    let account: string | undefined;
    if (grantType === 'refresh_token') account = refreshTokens.get(form.get('refresh_token') ?? '');
    else if (grantType === 'password' && form.get('username') === user && form.get('password') === password) account = user;
    else if (grantType !== 'password') {
      record({ grant: 'password', clientId, scopes, status: 400 });
      return sendJson(response, 400, { error: 'unsupported_grant_type' });
    }
    if (!account || !clientId) {
      record({ grant: grantType as 'password' | 'refresh_token', account: form.get('username') ?? undefined, clientId, scopes, status: 401 });
      return sendJson(response, 401, { error: clientId ? 'invalid_grant' : 'invalid_request' });
    }
    record({ grant: grantType as 'password' | 'refresh_token', account, clientId, scopes, status: 200 });
    const { token, ...rest } = signToken(account, scopes);
    const refresh = grantType === 'password' && form.get('access_type') === 'offline' ? { refresh_token: issueRefreshToken(account) } : {};
    return sendJson(response, 200, { access_token: token, scope: scopes.join(' '), ...rest, ...refresh });
  };

  const listen = `127.0.0.1:${options.registryPort}`;
  mkdirSync(join(dir, 'data'));
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: info',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'http:',
      `  addr: ${listen}`,
      'auth:',
      '  token:',
      `    realm: ${realm}`,
      `    service: ${SERVICE}`,
      `    issuer: ${ISSUER}`,
      `    rootcertbundle: ${pki.caFile}`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const server: Server = createServer((request, response) => {
    answer(request, response).catch((error: Error) => sendJson(response, 500, { error: error.message }));
  });
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (server.listening) await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  };

  const registry: TokenRegistry = {
    address: `localhost:${options.registryPort}`,
    realm,
    user,
    password,
    tokenRequests: [],
    tokenLifetimeSeconds: 300,
    issueIdentityToken: () => issueRefreshToken(user),
    dockerConfig(login) {
      const configDir = mkdtempSync(join(dir, 'docker-config-'));
      // `docker login` to a token service keeps "user:" in `auth` and the refresh token beside it.
      const entry = !login
        ? undefined
        : 'identityToken' in login
          ? { auth: Buffer.from(`${login.user}:`).toString('base64'), identitytoken: login.identityToken }
          : { auth: Buffer.from(`${login.user}:${login.password}`).toString('base64') };
      writeFileSync(join(configDir, 'config.json'), JSON.stringify({ auths: entry ? { [registry.address]: entry } : {} }));
      return configDir;
    },
    stop,
  };

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.tokenPort, '127.0.0.1', resolve);
    });
    // The registry's log stays in its folder: why it refused a token is only written there.
    const log = openSync(join(dir, 'registry.log'), 'a');
    child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', log, log] });
    closeSync(log);
    if (!(await waitFor(() => registryAnswers(listen, 500), 20000))) throw new Error(`token-auth registry on ${listen} did not start`);
  } catch (error) {
    await stop();
    throw error;
  }
  return registry;
}
