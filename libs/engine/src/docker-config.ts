import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseJsonText } from '@taskforge/user-errors';

export interface RegistryCredentials {
  username: string;
  /** Empty when the login left an identity token instead. */
  password: string;
  serveraddress: string;
  /** The OAuth2 refresh token `docker login` stores for registries with token auth; traded for bearer tokens. */
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The docker CLI's config file: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

function readDockerConfig(): DockerConfigFile {
  const file = dockerConfigPath();
  if (!existsSync(file)) return {};
  return parseJsonText(readFileSync(file, 'utf8'), file, 'fix it or run `docker login` again') as DockerConfigFile;
}

function fromHelper(helper: string, registry: string): RegistryCredentials | undefined {
  try {
    const out = execFileSync(`docker-credential-${helper}`, ['get'], { input: registry, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
    const parsed = JSON.parse(out) as { Username: string; Secret: string };
    // Credential helpers store an identity token under the user name "<token>", as the docker CLI does.
    if (parsed.Username === '<token>') return { username: '', password: '', serveraddress: registry, identitytoken: parsed.Secret };
    return { username: parsed.Username, password: parsed.Secret, serveraddress: registry };
  } catch {
    return undefined;
  }
}

/**
 * The credentials the user already has for `registry` (host[:port]), as the
 * docker CLI would find them: credHelpers, then credsStore, then auths.
 */
export function registryCredentials(registry: string): RegistryCredentials | undefined {
  const config = readDockerConfig();
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (helper) {
    const found = fromHelper(helper, registry);
    if (found) return found;
  }
  const entry = config.auths?.[registry] ?? config.auths?.[`https://${registry}`] ?? config.auths?.[`http://${registry}`];
  if (!entry) return undefined;
  // `docker login` against a token service keeps `auth` as "user:" and the refresh token beside it.
  const identity = entry.identitytoken ? { identitytoken: entry.identitytoken } : {};
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: registry, ...identity };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password, serveraddress: registry, ...identity };
  if (entry.identitytoken) return { username: entry.username ?? '', password: '', serveraddress: registry, ...identity };
  return undefined;
}

/** Whose access a registry refused, for error messages: `the credentials for user "ci" in ~/.docker/config.json`. */
export function describeCredentials(registry: string, credentials = registryCredentials(registry)): string {
  if (!credentials) return `anonymous access (no credentials for ${registry} in ${dockerConfigPath()})`;
  const user = credentials.username ? ` of user "${credentials.username}"` : '';
  if (credentials.identitytoken) return `the identity token${user} in ${dockerConfigPath()}`;
  return `the credentials for user "${credentials.username}" in ${dockerConfigPath()}`;
}
