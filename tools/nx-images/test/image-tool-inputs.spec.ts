import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { imageToolInputDefinitions, readImageToolInputs } from '../src/image-tool-inputs';
import { REPO_ROOT, run } from '@taskforge/testing';

type FileDependency = string | [string, string] | [string, string, string];

/**
 * The projects and npm packages Nx's own import analysis of this repo finds reachable from `project` through files
 * that are not tests (what nx.json's production input keeps), read from the file map Nx caches with the graph.
 */
function nxImportClosure(project: string): { projects: string[]; packages: string[] } {
  const script = `
    const load = (name) => require(require.resolve(name, { paths: [process.cwd()] }));
    load('@nx/devkit').createProjectGraphAsync({ exitOnError: true }).then(() => {
      process.stdout.write(JSON.stringify(load('nx/src/project-graph/nx-deps-cache').readFileMapCache().fileMap.projectFileMap));
    });`;
  const result = run(process.execPath, ['-e', script], REPO_ROOT);
  expect(result.code).toBe(0);
  const fileMap = JSON.parse(result.stdout) as Record<string, Array<{ file: string; deps?: FileDependency[] }>>;
  const projects = new Set<string>();
  const packages = new Set<string>();
  const pending = [project];
  while (pending.length) {
    const current = pending.pop()!;
    if (projects.has(current)) continue;
    projects.add(current);
    for (const file of fileMap[current].filter((f) => !/\/test\/|\.spec\.|\.test\.|\/jest\.config\./.test(f.file))) {
      for (const dep of file.deps ?? []) {
        const target = typeof dep === 'string' ? dep : dep.length === 3 ? dep[1] : dep[0];
        if (target.startsWith('npm:')) packages.add(target.slice(4).replace(/(.)@.*$/, '$1'));
        else pending.push(target);
      }
    }
  }
  return { projects: [...projects].sort(), packages: [...packages].sort() };
}

/** An npm workspace on disk: the lockfile links `@taskforge/*` packages to their folders, as `npm install` writes it. */
function npmWorkspace(files: Record<string, string>, locked: Record<string, object>): string {
  const root = mkdtempSync(join(tmpdir(), 'image-tool-inputs-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const packages: Record<string, object> = { '': { name: 'workspace' } };
  for (const [name, entry] of Object.entries(locked)) packages[`node_modules/${name}`] = entry;
  writeFileSync(join(root, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages }));
  return root;
}

const link = (folder: string) => ({ resolved: folder, link: true });
const installed = (version: string) => ({ version, integrity: `sha512-${version}` });

describe('the inputs that tie image targets to the tooling that runs them', () => {
  const roots: string[] = [];
  afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));
  const workspace = (files: Record<string, string>, locked: Record<string, object>) => {
    const root = npmWorkspace(files, locked);
    roots.push(root);
    return root;
  };

  it("follows the plugin's imports through the workspace's libraries and names the npm packages they load", () => {
    const root = workspace(
      {
        'tools/nx-images/project.json': JSON.stringify({ name: 'nx-images' }),
        'tools/nx-images/src/index.ts': "import { check } from '@taskforge/checks';\nimport { join } from 'node:path';\nimport type { Tree } from '@nx/devkit';\nexport * from './executor';\n",
        'tools/nx-images/src/executor.ts': "import {\n  run,\n} from '@taskforge/engine';\nconst semver = require('semver');\n",
        'tools/nx-images/test/plugin.spec.ts': "import { fixture } from '@taskforge/testing';\nimport 'jest-extended';\n",
        'libs/checks/project.json': JSON.stringify({ name: 'image-checks' }),
        'libs/checks/src/index.ts': "export { run } from '@taskforge/engine';\nimport fs from 'fs';\n",
        'libs/checks/src/checks.spec.ts': "import { helper } from '@taskforge/testing';\n",
        'libs/engine/package.json': JSON.stringify({ name: '@taskforge/engine' }),
        'libs/engine/src/connect.ts': "import Docker = require('dockerode');\nexport const load = () => import('tar-fs');\n",
        'libs/testing/project.json': JSON.stringify({ name: 'testing' }),
        'libs/testing/src/index.ts': "import 'fastify';\n",
      },
      {
        '@taskforge/nx-images': link('tools/nx-images'),
        '@taskforge/checks': link('libs/checks'),
        '@taskforge/engine': link('libs/engine'),
        '@taskforge/testing': link('libs/testing'),
        '@nx/devkit': installed('23.2.1'),
        dockerode: installed('5.0.1'),
        fastify: installed('5.0.0'),
        'jest-extended': installed('4.0.0'),
        semver: installed('7.8.6'),
        'tar-fs': installed('3.1.3'),
      },
    );
    // Test files and type-only imports load nothing when an executor runs; Node's own modules are no package.
    expect(readImageToolInputs(root)).toEqual({
      projects: ['@taskforge/engine', 'image-checks', 'nx-images'],
      externalDependencies: ['dockerode', 'semver', 'tar-fs'],
    });
  });

  it("names the plugin's libraries by the production input when the workspace defines one, by Nx's default otherwise", () => {
    const tool = { projects: ['nx-images', 'engine'], externalDependencies: ['dockerode'] };
    expect(imageToolInputDefinitions(tool, { namedInputs: { production: ['default'] } })).toEqual([
      { input: 'production', projects: ['nx-images', 'engine'] },
      { externalDependencies: ['dockerode'] },
    ]);
    expect(imageToolInputDefinitions(tool, {})).toEqual([{ input: 'default', projects: ['nx-images', 'engine'] }, { externalDependencies: ['dockerode'] }]);
  });

  it('narrows nothing it cannot name: a loaded package missing from the lockfile, or no lockfile at all, leaves Nx hashing every external package', () => {
    const root = workspace(
      { 'tools/nx-images/project.json': JSON.stringify({ name: 'nx-images' }), 'tools/nx-images/src/index.ts': "import Docker from 'dockerode';\n" },
      { '@taskforge/nx-images': link('tools/nx-images') },
    );
    expect(readImageToolInputs(root)).toEqual({ projects: ['nx-images'], externalDependencies: undefined });
    expect(imageToolInputDefinitions(readImageToolInputs(root), {})).toEqual([{ input: 'default', projects: ['nx-images'] }]);

    rmSync(join(root, 'package-lock.json'));
    expect(readImageToolInputs(root)).toEqual({ projects: [] });
    expect(imageToolInputDefinitions(readImageToolInputs(root), {})).toEqual([]);
  });

  it("finds in this repo exactly the libraries Nx's own import analysis reaches from the plugin's non-test files", () => {
    const reached = nxImportClosure('nx-images');
    const tool = readImageToolInputs(REPO_ROOT);
    expect(tool.projects).toEqual(reached.projects);
    expect(tool.projects).toEqual(expect.arrayContaining(['nx-images', 'image-build', 'image-checks', 'engine']));
    expect(tool.projects).not.toContain('testing');
    // Nx also counts type-only imports, which load nothing.
    expect(reached.packages).toEqual(expect.arrayContaining(tool.externalDependencies!));
    expect(tool.externalDependencies).toEqual(expect.arrayContaining(['dockerode', 'nx']));
    expect(tool.externalDependencies).not.toContain('fastify');
  });
});
