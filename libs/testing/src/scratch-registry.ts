import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registryAnswers, waitFor, writeRegistryConfig } from '@taskforge/engine-setup';

export interface ScratchRegistry {
  /** `localhost:PORT`, as image references name it. */
  address: string;
  /** Its own folder, removed with it. */
  dir: string;
  /** Stops the server; its storage stays, so start() brings the same contents back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Repository -> tags, read through the registry API. */
  contents(): Promise<Record<string, string[]>>;
  remove(): Promise<void>;
}

/** A real distribution registry of its own on loopback (htpasswd auth when given), so a test can take it down and count what it holds. Pick a port fetch() allows (not 5060/5061). */
export async function startScratchRegistry(port: number, options: { htpasswd?: string } = {}): Promise<ScratchRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'scratch-registry-'));
  const listen = `127.0.0.1:${port}`;
  let htpasswdFile: string | undefined;
  if (options.htpasswd) {
    htpasswdFile = join(dir, 'htpasswd');
    writeFileSync(htpasswdFile, options.htpasswd);
  }
  writeRegistryConfig(join(dir, 'config.yml'), { listen, dataDir: join(dir, 'data'), htpasswdFile });
  let child: ChildProcess | undefined;
  const registry: ScratchRegistry = {
    address: `localhost:${port}`,
    dir,
    async start() {
      child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
      if (!(await waitFor(() => registryAnswers(listen, 500), 20000))) throw new Error(`test registry on ${listen} did not start`);
    },
    async stop() {
      // Killed by a signal, a process has a signalCode and no exitCode: a second stop() must not wait for an exit that happened.
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
    async contents() {
      const catalog = (await (await fetch(`http://${listen}/v2/_catalog`)).json()) as { repositories: string[] };
      const result: Record<string, string[]> = {};
      for (const repository of catalog.repositories ?? []) {
        const list = (await (await fetch(`http://${listen}/v2/${repository}/tags/list`)).json()) as { tags: string[] | null };
        result[repository] = (list.tags ?? []).sort();
      }
      return result;
    },
    async remove() {
      await registry.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await registry.start();
  return registry;
}

/** The digest a tag points to, or undefined. */
export async function tagDigest(address: string, repository: string, tag: string): Promise<string | undefined> {
  const response = await fetch(`http://${address}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  return response.status === 200 ? (response.headers.get('docker-content-digest') ?? undefined) : undefined;
}
