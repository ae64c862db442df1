import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import type { Tree } from '@nx/devkit';
import { variantGenerator } from '../src/generators/variant/generator';

function workspaceWithBase(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('images/base/image.json', JSON.stringify({ name: 'openclaw-base', project: 'agent-base', description: 'base' }));
  tree.write('images/base/VERSION', '1.2.3\n');
  tree.write('images/variants/go/image.json', JSON.stringify({ name: 'openclaw-agent-go', project: 'agent-go', description: 'go' }));
  return tree;
}

const failure = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the generator to refuse');
};

describe('variant generator (devkit tree)', () => {
  it('scaffolds a variant FROM the current base version with a starter test', async () => {
    const tree = workspaceWithBase();
    await variantGenerator(tree, { name: 'rust-tools', packages: 'rustc, cargo' });
    const dir = 'images/variants/rust-tools';
    expect(tree.read(`${dir}/Dockerfile`, 'utf-8')).toContain('ARG BASE_IMAGE=openclaw-base:1.2.3');
    expect(tree.read(`${dir}/packages.txt`, 'utf-8')).toBe('rustc\ncargo\n');
    expect(tree.read(`${dir}/VERSION`, 'utf-8')).toBe('1.0.0\n');
    expect(JSON.parse(tree.read(`${dir}/image.json`, 'utf-8')!)).toMatchObject({ name: 'openclaw-agent-rust-tools', project: 'agent-rust-tools', checks: { user: 1001, testFiles: 'tests' } });
    expect(tree.read(`${dir}/tests/test_rust_tools.py`, 'utf-8')).toContain('PACKAGES = ["rustc","cargo"]');
    expect(tree.read(`${dir}/tests/test_rust_tools.py`, 'utf-8')).toContain('class RustToolsImageTest');
    expect(tree.read(`${dir}/CHANGELOG.md`, 'utf-8')).toContain('## 1.0.0');
    expect(tree.read(`${dir}/.dockerignore`, 'utf-8')).toContain('tests/');
  });

  it.each([
    [{ name: 'Rust Tools', packages: 'rustc' }, 'variant name "Rust Tools" is not valid'],
    [{ name: 'go', packages: 'golang' }, 'a project named "agent-go" already exists (images/variants/go)'],
    [{ name: 'golang', packages: 'golang', image: 'openclaw-agent-go' }, 'image "openclaw-agent-go" is already built by project agent-go'],
    [{ name: 'rust', packages: ' , ' }, '--packages names no Debian package'],
    [{ name: 'rust', packages: 'rustc Cargo!' }, '"Cargo!" is not a Debian package name'],
    [{ name: 'rust', packages: 'rustc', baseProject: 'nope' }, 'base project "nope" is not an image project'],
  ])('refuses %j with a clear message and writes nothing', async (options, message) => {
    const tree = workspaceWithBase();
    const before = tree.listChanges().length;
    expect(await failure(variantGenerator(tree, options))).toContain(message);
    expect(tree.listChanges().length).toBe(before);
  });
});
