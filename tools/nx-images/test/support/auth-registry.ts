import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { registryAnswers, waitFor, writeRegistryConfig } from '@taskforge/engine-setup';

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
  const dir = mkdtempSync(join(tmpdir(), 'auth-registry-'));
  const user = 'ci-pusher';
  const password = 'correct horse battery staple';
  writeFileSync(join(dir, 'htpasswd'), `${user}:${hashSync(password, 10)}\n`);
  const address = `127.0.0.1:${port}`;
  writeRegistryConfig(join(dir, 'config.yml'), { listen: address, dataDir: join(dir, 'data'), htpasswdFile: join(dir, 'htpasswd') });
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  if (!(await waitFor(() => registryAnswers(address, 500), 20000))) throw new Error(`test registry on ${address} did not start`);
  const registry = `localhost:${port}`;
  return {
    address: registry,
    user,
    password,
    dockerConfig(login, secret) {
      const configDir = mkdtempSync(join(dir, 'docker-config-'));
      const auth = Buffer.from(`${login}:${secret}`).toString('base64');
      writeFileSync(join(configDir, 'config.json'), JSON.stringify({ auths: { [registry]: { auth } } }));
      return configDir;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
