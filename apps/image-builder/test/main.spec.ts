import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(__dirname, '../../..');
const MAIN = join(REPO_ROOT, 'apps/image-builder/src/main.ts');
const TOKEN = 'tfo_image-builder-main-spec-token-0123';

/** Runs main.ts with only the given IMAGE_BUILDER_* variables; each case here exits before it listens. */
function runMain(env: Record<string, string>) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('IMAGE_BUILDER_')));
  const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    env: { ...inherited, IMAGE_BUILDER_HOST: '127.0.0.1', IMAGE_BUILDER_PORT: '0', IMAGE_BUILDER_OPERATOR_TOKEN: TOKEN, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr.trim(), stdout: result.stdout.trim() };
}

// How an operator's mistake in the database setting is answered: exit 2, one line naming the setting, the password never shown.
describe('apps/image-builder settings for a shared database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'image-builder-main-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each([
    ['a URL of another kind', { IMAGE_BUILDER_DATABASE_URL: 'mysql://user:s3cret-pw@127.0.0.1/db' }, /IMAGE_BUILDER_DATABASE_URL must be a postgres:\/\/user:password@host:port\/database URL/],
    ['both the URL and a file', { IMAGE_BUILDER_DATABASE_URL: 'postgres://u:s3cret-pw@127.0.0.1/db', IMAGE_BUILDER_DATABASE_URL_FILE: '/nonexistent' }, /set IMAGE_BUILDER_DATABASE_URL_FILE or IMAGE_BUILDER_DATABASE_URL, not both/],
    ['a file that cannot be read', { IMAGE_BUILDER_DATABASE_URL_FILE: '/nonexistent/database-url' }, /IMAGE_BUILDER_DATABASE_URL_FILE=\/nonexistent\/database-url cannot be read/],
    // Nothing listens on this loopback port: the store cannot open.
    ['a database that does not answer', { IMAGE_BUILDER_DATABASE_URL: 'postgres://u:s3cret-pw@127.0.0.1:5463/db' }, /cannot open the build store \(IMAGE_BUILDER_DATABASE_URL\): .*ECONNREFUSED/],
  ])('%s: exit 2 with one line', (_name, env, message) => {
    const result = runMain({ IMAGE_BUILDER_DATA_DIR: dataDir, ...env });
    expect(result.status).toBe(2);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('[image-builder]'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(`${result.stdout}\n${result.stderr}`).not.toContain('s3cret-pw');
  });
});
