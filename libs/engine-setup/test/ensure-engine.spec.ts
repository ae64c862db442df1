import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureEngine, enginePaths, registryAnswers } from '../src';

jest.setTimeout(5 * 60 * 1000);

const pid = (file: string) => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};

describe('ensureEngine', () => {
  it('brings up an engine and a registry, and a second run changes nothing', async () => {
    await ensureEngine();
    const paths = enginePaths();
    const before = [pid(paths.dockerdPid), pid(paths.registryPid)];
    const lines: string[] = [];
    expect(await ensureEngine((line) => lines.push(line))).toEqual({ engine: 'found', registry: 'found' });
    expect(lines).toEqual([]);
    expect([pid(paths.dockerdPid), pid(paths.registryPid)]).toEqual(before);
    expect(await registryAnswers('localhost:5000')).toBe(true);
  });

  it('refuses to start a second engine when DOCKER_HOST points at one that does not answer', () => {
    const result = spawnSync(process.execPath, [resolve(__dirname, '../../../node_modules/tsx/dist/cli.mjs'), resolve(__dirname, '../src/cli.ts'), 'up'], {
      encoding: 'utf8',
      env: { ...process.env, DOCKER_HOST: 'unix:///tmp/no-engine-here.sock' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      '[engine] DOCKER_HOST=unix:///tmp/no-engine-here.sock does not answer: start that engine, or unset DOCKER_HOST to let `npm run engine:up` start a local one.',
    );
  });
});
