import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RegistryServerConfig {
  /** host:port to listen on; keep it on loopback. */
  listen: string;
  dataDir: string;
  /** An htpasswd file (bcrypt) switches basic auth on. */
  htpasswdFile?: string;
}

/** The distribution registry's config file for a local, single-node registry. */
export function registryConfigYaml(config: RegistryServerConfig): string {
  const auth = config.htpasswdFile
    ? `auth:\n  htpasswd:\n    realm: taskforge-local\n    path: ${config.htpasswdFile}\n`
    : '';
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${config.dataDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${config.listen}`,
    auth,
  ].join('\n');
}

export function writeRegistryConfig(configFile: string, config: RegistryServerConfig): void {
  mkdirSync(dirname(configFile), { recursive: true });
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(configFile, registryConfigYaml(config));
}

/** True when something that speaks the registry API answers on this address. */
export async function registryAnswers(listen: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const response = await fetch(`http://${listen}/v2/`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.status === 200 || response.status === 401;
  } catch {
    return false;
  }
}
