import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { chooseApiVersion, ENGINE_API, engineApi, engineClient } from '../src';
import { negotiateApiVersion } from '../src/api-version';

describe('chooseApiVersion', () => {
  // What engines answer on /_ping (API-Version): 20.10 says 1.41, 26.1 says 1.45, 28.5 says 1.51, 29.0 says 1.52.
  it.each([
    ['1.41', '1.41', 'Docker 20.10, the oldest supported: its own version'],
    ['1.45', '1.45', 'Docker 26.1: its own version, below the newest tested'],
    ['1.51', '1.51', 'Docker 28.5, the newest tested'],
    ['1.52', ENGINE_API.newestTested, 'Docker 29: spoken to in the newest tested version, which 29 still accepts (its minimum is 1.44 at most)'],
    ['2.0', ENGINE_API.newestTested, 'a future major version: still the newest tested'],
  ])('engine API %s -> %s (%s)', (engine, chosen) => {
    expect(chooseApiVersion(engine, 'Docker/x (linux)', 'unix:///var/run/docker.sock')).toBe(chosen);
  });

  it('orders versions by number, not by text (1.9 is older than 1.41)', () => {
    expect(() => chooseApiVersion('1.9', undefined, 'here')).toThrow(/older than this tooling supports/);
  });

  it('refuses an engine older than Docker 20.10 in one line naming its version, the minimum and the fix', () => {
    expect(() => chooseApiVersion('1.40', 'Docker/19.03.15 (linux)', 'unix:///var/run/docker.sock')).toThrow(
      'The engine at unix:///var/run/docker.sock (Docker/19.03.15, API 1.40) is older than this tooling supports (API 1.41, Docker 20.10): upgrade it to Docker 20.10 or newer, or point DOCKER_HOST at a newer engine (`npm run engine:up` starts one).',
    );
  });

  it('refuses an answer that is not a version', () => {
    expect(() => chooseApiVersion('(none)', undefined, 'tcp://127.0.0.1:1')).toThrow('answered /_ping with API-Version "(none)", which is not a version');
  });
});

describe('a client negotiates before its first request', () => {
  it('against the real engine: speaks its API version and works', async () => {
    const docker = engineClient();
    const api = await engineApi(docker);
    expect(api.engineApi).toMatch(/^1\.\d+$/);
    expect(api.version).toBe(chooseApiVersion(api.engineApi, api.server, 'engine'));
    expect((docker.modem as unknown as { version: string }).version).toBe(`v${api.version}`);
    expect(Array.isArray(await docker.listImages())).toBe(true);
  });

  // No engine newer than the newest tested (or older than the oldest) runs here: a loopback server answers as one
  // would, /_ping with its API-Version and Server headers, and records the paths the client asks for.
  async function impersonate(apiVersion: string, server: string): Promise<{ docker: Docker; paths: string[]; close: () => Promise<void> }> {
    const paths: string[] = [];
    const http: Server = createServer((request, response) => {
      paths.push(request.url ?? '');
      response.setHeader('API-Version', apiVersion);
      response.setHeader('Server', server);
      response.setHeader('Content-Type', request.url === '/_ping' ? 'text/plain' : 'application/json');
      response.end(request.url === '/_ping' ? 'OK' : '[]');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const docker = new Docker({ host: '127.0.0.1', port: (http.address() as AddressInfo).port });
    negotiateApiVersion(docker, 'tcp://test');
    return { docker, paths, close: () => new Promise((resolve) => http.close(() => resolve())) };
  }

  it('a newer engine (Docker 29, API 1.52) gets requests in the newest tested version, after one unversioned ping', async () => {
    const engine = await impersonate('1.52', 'Docker/29.1.0 (linux)');
    try {
      await Promise.all([engine.docker.listImages(), engine.docker.listContainers()]);
      await engine.docker.listImages();
      expect(engine.paths).toEqual(['/_ping', `/v${ENGINE_API.newestTested}/images/json`, `/v${ENGINE_API.newestTested}/containers/json`, `/v${ENGINE_API.newestTested}/images/json`]);
    } finally {
      await engine.close();
    }
  });

  it('an engine older than Docker 20.10 gets no request but the ping, and every call fails with the one-line refusal', async () => {
    const engine = await impersonate('1.40', 'Docker/19.03.15 (linux)');
    try {
      await expect(engine.docker.listImages()).rejects.toThrow('The engine at tcp://test (Docker/19.03.15, API 1.40) is older than this tooling supports');
      await expect(engine.docker.ping()).rejects.toThrow('older than this tooling supports');
      expect(engine.paths).toEqual(['/_ping']);
    } finally {
      await engine.close();
    }
  });

  it('a client made before its engine answers negotiates once the engine is up', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const docker = new Docker({ host: '127.0.0.1', port });
    negotiateApiVersion(docker, 'tcp://test');
    await expect(docker.ping()).rejects.toThrow(/ECONNREFUSED/);
    const paths: string[] = [];
    const http = createServer((request, response) => {
      paths.push(request.url ?? '');
      response.setHeader('API-Version', '1.45');
      response.end('OK');
    });
    await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
    try {
      await docker.ping();
      expect(paths).toEqual(['/_ping', '/v1.45/_ping']);
    } finally {
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});
