import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackages } from '@taskforge/engine-setup';

export interface PostgresServer {
  /** `postgres://taskforge:<password>@127.0.0.1:<port>/taskforge` */
  url: string;
  port: number;
  /** Stops the server and removes its data. */
  remove(): Promise<void>;
}

/** The newest PostgreSQL server Debian installed (`/usr/lib/postgresql/<major>/bin`), installing Debian's package when there is none. */
function postgresBinaries(): string {
  const find = () =>
    existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .filter((major) => existsSync(`/usr/lib/postgresql/${major}/bin/postgres`))
          .sort((a, b) => Number(b) - Number(a))[0]
      : undefined;
  let major = find();
  if (!major) {
    ensureDebianPackages(['postgresql'], (line) => console.log(`[postgres] ${line}`));
    major = find();
  }
  if (!major) throw new Error('Debian\'s postgresql package installed no server under /usr/lib/postgresql');
  return `/usr/lib/postgresql/${major}/bin`;
}

/**
 * A PostgreSQL server of the test's own: a new cluster in a temporary folder,
 * listening on 127.0.0.1:<port> only, with a password (scram-sha-256) for
 * one user and one database. As root it runs as Debian's `postgres` user
 * (PostgreSQL refuses to run as root).
 */
export async function startPostgres(port: number): Promise<PostgresServer> {
  const bin = postgresBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'postgres-'));
  const data = join(dir, 'data');
  const password = `pw-${process.pid}-${Date.now()}`;
  writeFileSync(join(dir, 'password'), `${password}\n`);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
    chownSync(join(dir, 'password'), uid, gid);
  }
  const run = (program: string, args: string[]) => {
    const [command, commandArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] : [join(bin, program), args];
    const result = spawnSync(command, commandArgs, { encoding: 'utf8', cwd: dir, env: { ...process.env, PGPASSWORD: password } });
    if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${result.status}): ${(result.stderr || result.stdout).trim()}`);
  };
  run('initdb', ['-D', data, '-U', 'taskforge', `--pwfile=${join(dir, 'password')}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync']);
  const settings = [`-c listen_addresses=127.0.0.1`, `-c port=${port}`, `-c unix_socket_directories=${dir}`, '-c fsync=off', '-c max_connections=100'].join(' ');
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
  run('createdb', ['-h', dir, '-p', String(port), '-U', 'taskforge', 'taskforge']);
  return {
    url: `postgres://taskforge:${password}@127.0.0.1:${port}/taskforge`,
    port,
    async remove() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
