import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { engineClient } from '@taskforge/engine';
import { UserError } from '@taskforge/user-errors';
import { nestedEngineContainerName } from './nested-engine-container';
import type { NestedEngine } from './ensure-nested-engine';
import { nestedEngineName } from './nested-engines';

/** A listener in a nested engine's network namespace that carries each connection to a unix socket of the host. */
export interface NestedForward {
  /** The port it listens on, at the address it was asked for. */
  port: number;
  close(): Promise<void>;
}

/**
 * What runs in the namespace: the host's own node, so nothing is installed in the engine's root. Each connection is
 * piped both ways, byte for byte (TLS passes through untouched); either side closing closes the other.
 */
const FORWARDER = `
const net = require('node:net');
const [host, socketPath] = process.argv.slice(1);
const server = net.createServer((inbound) => {
  const outbound = net.connect(socketPath);
  inbound.pipe(outbound).pipe(inbound);
  const end = () => { inbound.destroy(); outbound.destroy(); };
  inbound.on('error', end).on('close', end);
  outbound.on('error', end).on('close', end);
});
server.listen(0, host, () => console.log('listening ' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

/**
 * Makes a server of the host that listens on a unix socket answer at `host` (e.g. the gateway of a network of the
 * nested engine) inside the nested engine's network namespace, where its containers are; the host's own addresses
 * stay out of reach of those containers. Entering only the network namespace (nsenter) keeps the host's files, so
 * the host's node runs there and reaches the socket by its path.
 */
export async function forwardIntoNestedEngine(engine: NestedEngine, host: string, socketPath: string): Promise<NestedForward> {
  const { choice } = engine;
  const name = nestedEngineContainerName(choice);
  const info = await engineClient(engine.hostEngine).getContainer(name).inspect().catch(() => undefined);
  if (!info?.State.Running) throw new UserError(`The nested engine ${nestedEngineName(choice)} is not running (no container ${name}): start it with \`npm run engine:up -- --engine=${choice.engine} --store=${choice.store}\``);
  const child = spawn('nsenter', [`--target=${info.State.Pid}`, '--net', '--', process.execPath, '-e', FORWARDER, host, socketPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(Number(/^listening (\d+)$/.exec(line)?.[1])));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the forwarder into ${name} exited with code ${code}: ${stderr.join('').trim()}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    port,
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
