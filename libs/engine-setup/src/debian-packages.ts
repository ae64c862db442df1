import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { UserError } from '@taskforge/user-errors';

/** The Debian packages the engine, the registry and the root image build need. */
export const ENGINE_PACKAGES = ['docker.io', 'docker-registry', 'mmdebstrap'] as const;

function isInstalled(pkg: string): boolean {
  const probe = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.includes('install ok installed');
}

export function missingPackages(packages: readonly string[]): string[] {
  return packages.filter((pkg) => !isInstalled(pkg));
}

/** Installs what is missing with apt-get; a no-op when everything is there. */
export function ensureDebianPackages(packages: readonly string[], log: (line: string) => void): void {
  const missing = missingPackages(packages);
  if (missing.length === 0) return;
  if (!existsSync('/usr/bin/apt-get')) {
    throw new UserError(`Missing ${missing.join(', ')} and this machine has no apt-get: install them yourself, or point DOCKER_HOST at a running engine.`);
  }
  if (process.getuid?.() !== 0) {
    throw new UserError(`Missing ${missing.join(', ')}: run \`sudo npm run engine:up\` once to install them (apt-get needs root).`);
  }
  log(`installing ${missing.join(', ')} from Debian`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Two installs at once (parallel test workers) take turns on dpkg's lock instead of failing on it.
  const waitForLock = ['-o', 'DPkg::Lock::Timeout=600'];
  execFileSync('apt-get', [...waitForLock, 'update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', [...waitForLock, 'install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
}
