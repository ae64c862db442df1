import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
const ciRun = readFileSync(`${ROOT}/.ci/run`, 'utf8');
const scripts = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).scripts as Record<string, string>;

describe('the README commands', () => {
  const block = /## The two commands[\s\S]*?```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const commands = block.split('\n').filter((line) => line.trim() && !line.startsWith('#'));

  it('are two: build the graph, run the tests', () => {
    expect(commands).toEqual(['npm ci && npm run images', 'npm ci && npm test']);
  });

  it('.ci/run runs the test command and nothing else', () => {
    const lines = ciRun.split('\n').filter((line) => line.trim() && !line.startsWith('#') && !/^(set |cd )/.test(line));
    expect(lines).toEqual([commands[1]]);
  });

  it('both start the engine before they need it; the tests find the images Nx built and checked, and lint ran', () => {
    expect(scripts.images).toMatch(/^tsx libs\/engine-setup\/src\/cli\.ts up && nx run-many -t push-image/);
    expect(scripts.test).toMatch(/tsx libs\/engine-setup\/src\/cli\.ts up && nx run-many -t lint build-image test-image rebuild-native && jest --ci$/);
  });
});
