import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineClient, runContainer } from '@taskforge/engine';
import { hardenedHostConfig } from '@taskforge/run-profile';
import { pack } from 'tar-fs';
import { engineForTests, REPO_ROOT, repoImage } from '@taskforge/testing';

jest.setTimeout(5 * 60 * 1000);

const version = (dir: string) => readFileSync(join(REPO_ROOT, dir, 'VERSION'), 'utf8').trim();
const WEB = `openclaw-agent-web:${version('images/variants/web-scraping')}`;
const BASE = `openclaw-base:${version('images/base')}`;

async function serve(docker: Docker, network: string, dir: string): Promise<{ container: Docker.Container; address: string }> {
  const container = await docker.createContainer({
    Image: BASE,
    Entrypoint: ['python3', '-m', 'http.server', '8080', '--bind', '0.0.0.0', '--directory', '/tmp/pages'],
    HostConfig: { NetworkMode: network },
  });
  if (dir) await container.putArchive(pack(dir, { map: (h) => ({ ...h, name: `pages/${h.name}` }) }) as never, { path: '/tmp' });
  await container.start();
  const info = (await container.inspect()) as { NetworkSettings: { Networks: Record<string, { IPAddress: string }> } };
  return { container, address: info.NetworkSettings.Networks[network].IPAddress };
}

describe('openclaw-agent-web scraping a server on its Docker network', () => {
  const docker = engineClient();
  const name = `web-test-${randomBytes(4).toString('hex')}`;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    await engineForTests();
    await repoImage('agent-web-scraping');
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it('extracts static and JavaScript-written content, and cannot reach a server on another network', async () => {
    const network = await docker.createNetwork({ Name: name, Internal: true, Labels: { 'io.taskforge.test': 'web-scraping' } });
    cleanup.push(() => network.remove());
    const peerNetwork = await docker.createNetwork({ Name: `${name}-peer`, Labels: { 'io.taskforge.test': 'web-scraping' } });
    cleanup.push(() => peerNetwork.remove());
    const site = await serve(docker, name, join(__dirname, 'web-scraping/pages'));
    cleanup.push(() => site.container.remove({ force: true }));
    const peer = await serve(docker, `${name}-peer`, join(__dirname, 'web-scraping/pages'));
    cleanup.push(() => peer.container.remove({ force: true }));

    // The script goes in as an argument: the hardened root filesystem is read-only.
    const run = await runContainer(docker, {
      image: WEB,
      entrypoint: ['python3', '-c', readFileSync(join(__dirname, 'web-scraping/scrape.py'), 'utf8'), `http://${site.address}:8080`, peer.address],
      hostConfig: hardenedHostConfig({ network: name, tmpBytes: 256 * 1024 * 1024 }),
      timeoutMs: 5 * 60 * 1000,
    });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      static: [
        ['alpha', 3],
        ['beta', 5],
      ],
      scripted: ['gamma', 'delta'],
      peer: expect.stringMatching(/^unreachable/),
    });
  });
});
