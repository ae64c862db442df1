import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@taskforge/engine-setup';

/**
 * A Docker Engine of the benchmark's own: a fresh machine whose images can
 * all be removed between rounds, without touching the images other people's
 * tests use on the shared engine (whose layers a pull would find present).
 */
export interface PrivateEngine {
  /** DOCKER_HOST for it. */
  host: string;
  /** Runs the docker CLI against it; throws with its output on failure. */
  docker(args: string[]): string;
  /** Removes every image but those tagged `keep` (the engine is the benchmark's own). */
  removeImagesExcept(keep: string[]): void;
  stop(): Promise<void>;
}

/**
 * dockerd and a registry serving `registryConfig` on `registryListen` (a
 * scratch registry's config.yml and address, its server stopped: both read
 * the same storage) in a network
 * namespace of their own, where the registry answers on the same loopback
 * address as it did outside. The namespace is what keeps the host's network
 * untouched: a second dockerd needs no bridge, and `--bridge none` deletes
 * the host's docker0, the shared engine's default network.
 */
export async function startPrivateEngine(registryConfig: string, registryListen: string): Promise<PrivateEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-engine-'));
  const host = `unix://${join(dir, 'docker.sock')}`;
  const script = [
    'echo $$ > "$2/namespace.pid"',
    'ip link set lo up',
    'docker-registry serve "$1" > "$2/registry.log" 2>&1 & registry=$!',
    // Pulls start as soon as dockerd answers: the registry answers first.
    'for i in $(seq 200); do curl -sf -o /dev/null "http://$3/v2/" && break; sleep 0.1; done',
    'dockerd --host "unix://$2/docker.sock" --data-root "$2/data" --exec-root "$2/exec" --pidfile "$2/dockerd.pid" --bridge none --iptables=false --ip6tables=false --ip-masq=false > "$2/dockerd.log" 2>&1 & engine=$!',
    // Also on Ctrl-C or a closed terminal, which reach this shell with the benchmark.
    "trap 'kill -TERM $engine $registry 2>/dev/null; wait' TERM INT HUP",
    'wait $engine',
  ].join('\n');
  const namespace = spawn('unshare', ['--net', '--fork', 'sh', '-c', script, 'private-engine', registryConfig, dir, registryListen], { stdio: 'ignore' });
  const exited = new Promise((resolve) => namespace.once('exit', resolve));
  const env = { ...process.env, DOCKER_HOST: host };
  const docker = (args: string[]) => {
    const result = spawnSync('docker', args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0) throw new Error(`docker ${args.join(' ')} (private engine) failed: ${result.stderr}`);
    return result.stdout;
  };
  const stop = async () => {
    const pidFile = join(dir, 'namespace.pid');
    if (namespace.exitCode === null && existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const answers = async () => spawnSync('docker', ['version'], { env, stdio: 'ignore' }).status === 0;
  if (!(await waitFor(answers, 60000))) {
    const tail = existsSync(join(dir, 'dockerd.log')) ? readFileSync(join(dir, 'dockerd.log'), 'utf8').slice(-2000) : '';
    await stop();
    throw new Error(`the benchmark's private dockerd did not answer within 60 s:\n${tail}`);
  }
  return {
    host,
    docker,
    removeImagesExcept(keep) {
      const kept = new Set(keep.map((reference) => docker(['image', 'inspect', '--format', '{{.Id}}', reference]).trim()));
      const ids = [...new Set(docker(['image', 'ls', '-aq', '--no-trunc']).split('\n').filter(Boolean))].filter((id) => !kept.has(id));
      if (ids.length) docker(['image', 'rm', '-f', ...ids]);
    },
    stop,
  };
}
