import { createServer as createTcpServer, type Server } from 'node:net';
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import type { ActionInput } from '@taskforge/agent-contract';
import { runContainer } from '@taskforge/engine';
import { repoImage } from '@taskforge/testing';
import { IMAGE, startAgent, startHarness, type Harness } from '@taskforge/agent-harness';

jest.setTimeout(10 * 60 * 1000);

// "No route out" covers the host: a container on a bridge network, internal ones included, reaches the host at every
// bridge address (its network's gateway, docker0, the gateway of any other network). Proven against servers of this
// test's own, listening on every host bridge address: the agent under the hardened profile reaches none of them, and
// still its control plane, through the socket mounted into it.

const probeScript = (targets: Array<{ address: string; tcp: number; udp: number }>) => `
import json, os, socket
outcome = {}
for t in json.loads(${JSON.stringify(JSON.stringify(targets))}):
    try:
        socket.create_connection((t["address"], t["tcp"]), timeout=2).close()
        outcome[f'tcp {t["address"]}'] = 'reached'
    except OSError as e:
        outcome[f'tcp {t["address"]}'] = type(e).__name__
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(2)
        u.sendto(b'ping', (t["address"], t["udp"]))
        u.recvfrom(16)
        outcome[f'udp {t["address"]}'] = 'reached'
    except OSError as e:
        outcome[f'udp {t["address"]}'] = type(e).__name__
print(json.dumps({"interfaces": sorted(os.listdir('/sys/class/net')), "outcome": outcome}))
`;

describe('openclaw-base: no road to the host', () => {
  let harness: Harness;
  const servers: Array<Server | Socket> = [];
  beforeAll(async () => {
    await repoImage('agent-base');
    harness = await startHarness();
  });
  afterAll(async () => {
    for (const server of servers) server.close();
    await harness?.dispose();
  });

  it('an agent reaches no host bridge address over TCP or UDP, its control plane only, while a container on an internal network reaches the host at every one', async () => {
    // Two networks of our own, one internal, so that the host has gateway addresses beyond docker0 to listen on.
    const networks = await Promise.all(
      ['internal', 'bridge'].map((kind) =>
        harness.docker.createNetwork({ Name: `${harness.name}-${kind}`, Internal: kind === 'internal', Driver: 'bridge', Labels: { 'io.taskforge.test': 'agent-base' } }),
      ),
    );
    try {
      // Every address of every bridge interface of the host (docker0 and one per bridge network, down or up).
      const bridges = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' })
        .split('\n')
        .map((line) => /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(line))
        .filter((m): m is RegExpExecArray => m !== null && existsSync(`/sys/class/net/${m[1]}/bridge`))
        .map((m) => m[2]);
      expect(bridges.length).toBeGreaterThanOrEqual(3);
      const targets = await Promise.all(
        bridges.map(async (address) => {
          const tcp = createTcpServer((connection) => connection.end());
          await new Promise<void>((resolve) => tcp.listen(0, address, resolve));
          const udp = createSocket('udp4');
          udp.on('message', (message, from) => udp.send('pong', from.port, from.address));
          await new Promise<void>((resolve) => udp.bind(0, address, resolve));
          servers.push(tcp, udp);
          return { address, tcp: (tcp.address() as { port: number }).port, udp: udp.address().port };
        }),
      );
      const probe = probeScript(targets);

      // The control: from the internal network the host answers at every bridge address, TCP and UDP.
      const control = await runContainer(harness.docker, { image: IMAGE, entrypoint: ['python3', '-c', probe], hostConfig: { NetworkMode: `${harness.name}-internal` }, timeoutMs: 120000 });
      const reachedByControl = JSON.parse(control.stdout) as { outcome: Record<string, string> };
      expect(Object.values(reachedByControl.outcome).filter((how) => how === 'reached')).toHaveLength(targets.length * 2);

      // The agent, under the hardened profile: nothing but loopback, and every probe fails; the task still completes.
      const taskId = await harness.createTask([{ id: 'probe', type: 'run_command', argv: ['python3', '-c', probe], timeout_s: 120 } as ActionInput]);
      const { exitCode } = await (await startAgent(harness, taskId)).exited;
      expect(exitCode).toBe(0);
      const seen = JSON.parse((await harness.task(taskId)).results[0].stdout!) as { interfaces: string[]; outcome: Record<string, string> };
      expect(seen.interfaces).toEqual(['lo']);
      expect(Object.entries(seen.outcome).filter(([, how]) => how === 'reached')).toEqual([]);
      expect(Object.keys(seen.outcome)).toHaveLength(targets.length * 2);
    } finally {
      await Promise.all(networks.map((network) => network.remove().catch(() => undefined)));
    }
  });
});
