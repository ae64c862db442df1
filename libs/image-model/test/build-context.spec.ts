import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listBuildContextFiles } from '../src';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctx-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe('listBuildContextFiles', () => {
  it('lists what .dockerignore lets through, sorted, plus the Dockerfile and .dockerignore', () => {
    const dir = tree({
      Dockerfile: 'FROM x',
      '.dockerignore': 'README.md\ntests/\n*.log\n!keep.log\nDockerfile\n',
      'README.md': 'docs',
      'app/main.py': 'print()',
      'tests/test_x.py': '',
      'a.log': '',
      'keep.log': '',
    });
    expect(listBuildContextFiles(dir)).toEqual(['.dockerignore', 'Dockerfile', 'app/main.py', 'keep.log']);
  });

  it('sends everything when there is no .dockerignore', () => {
    expect(listBuildContextFiles(tree({ Dockerfile: '', 'b/c.txt': '' }))).toEqual(['Dockerfile', 'b/c.txt']);
  });
});
