import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { startScratchRegistry } from './scratch-registry';

export interface AuthRegistry {
  address: string;
  user: string;
  password: string;
  /** A DOCKER_CONFIG folder whose config.json logs in as `user` with `password`. */
  dockerConfig(user: string, password: string): string;
  stop(): Promise<void>;
}

/** A real distribution registry on loopback with htpasswd (bcrypt) auth switched on. */
export async function startAuthRegistry(port: number): Promise<AuthRegistry> {
  const user = 'ci-pusher';
  const password = 'correct horse battery staple';
  const registry = await startScratchRegistry(port, { htpasswd: `${user}:${hashSync(password, 10)}\n` });
  return {
    address: registry.address,
    user,
    password,
    dockerConfig(login, secret) {
      const configDir = mkdtempSync(join(registry.dir, 'docker-config-'));
      const auth = Buffer.from(`${login}:${secret}`).toString('base64');
      writeFileSync(join(configDir, 'config.json'), JSON.stringify({ auths: { [registry.address]: { auth } } }));
      return configDir;
    },
    stop: registry.remove,
  };
}
