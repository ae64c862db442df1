import { createProjectGraphAsync, type ProjectGraph } from '@nx/devkit';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

jest.setTimeout(120_000);

// Lint enforces the boundaries only if the rule sees what we think it sees: each case below is an import a change
// could add, linted as a file of the named project, and the error (or its absence) the rule must report.
interface Probe {
  file: string;
  source: string;
}

/**
 * Lints each probe as a file of the project it sits in, in one ESLint process (the flat config is an ES module,
 * which Jest's module sandbox cannot load), and returns the boundary rule's messages per probe.
 */
function lintProbes(probes: Probe[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const probes = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const probe of probes) {
        const [result] = await eslint.lintText(probe.source + '\\nexport {};\\n', { filePath: require('path').resolve(probe.file) });
        out.push(result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, input: JSON.stringify(probes), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

const REFUSED: Array<[string, string, string, RegExp]> = [
  ['a lib importing a tool', 'libs/run-profile/src/probe.ts', "import '@taskforge/nx-images';", /scope:libs" can only depend on libs tagged with "scope:libs"/],
  ['a lib importing the test helpers', 'libs/run-profile/src/probe.ts', "import '@taskforge/testing';", /can only depend on libs tagged with "scope:libs"/],
  ['an app importing the test helpers', 'apps/control-plane/src/probe.ts', "import '@taskforge/testing';", /scope:apps" can only depend on libs tagged with "scope:libs"/],
  ['the agent harness importing a tool', 'libs/agent-harness/src/probe.ts', "import '@taskforge/nx-images';", /scope:testing" can only depend on/],
  ['a relative import into another project', 'tools/nx-images/src/probe.ts', "import '../../../libs/engine/src';", /Projects cannot be imported by a relative or absolute path/],
  ['a cycle: image-model importing the build pipeline built on it', 'libs/image-model/src/probe.ts', "import '@taskforge/image-build';", /Circular dependency between "image-model" and "image-build"/],
];
const ALLOWED: Array<[string, string, string]> = [
  ['a lib importing a lib', 'libs/image-build/src/probe.ts', "import '@taskforge/engine';"],
  ['a tool importing a lib', 'tools/nx-images/src/probe.ts', "import '@taskforge/image-build';"],
  ["a lib's test importing the test helpers", 'libs/run-profile/test/probe.spec.ts', "import '@taskforge/testing';"],
  ['an e2e test importing the agent harness and a lib', 'e2e/agent-base/probe.spec.ts', "import '@taskforge/agent-harness';\nimport '@taskforge/engine';"],
  ['the benchmarks importing the test helpers', 'tools/bench/src/probe.ts', "import '@taskforge/testing';"],
];

// Lint enforces the boundaries only if the rule sees what we think it sees: each case is an import a change could
// add, linted as a file of the named project, and the error (or its absence) the rule must report.
describe('module boundaries (eslint.config.mjs, @nx/enforce-module-boundaries)', () => {
  let messages: string[][];
  beforeAll(async () => {
    // The rule reads the cached project graph; make sure it is there and current.
    await createProjectGraphAsync({ exitOnError: true });
    messages = lintProbes([...REFUSED, ...ALLOWED].map(([, file, source]) => ({ file, source })));
  });

  it.each(REFUSED.map((probe, index) => [...probe, index] as const))('refuses %s', (_name, _file, _source, expected, index) => {
    expect(messages[index]).toHaveLength(1);
    expect(messages[index][0]).toMatch(expected);
  });

  it.each(ALLOWED.map((probe, index) => [...probe, REFUSED.length + index] as const))('allows %s', (_name, _file, _source, index) => {
    expect(messages[index]).toEqual([]);
  });
});

// Edges lint cannot see (Dockerfile FROM lines, implicitDependencies) follow the same direction.
describe('the project graph', () => {
  let graph: ProjectGraph;
  beforeAll(async () => {
    graph = await createProjectGraphAsync({ exitOnError: true });
  });
  const tagged = (tag: string) => Object.values(graph.nodes).filter((node) => node.data.tags?.includes(tag)).map((node) => node.name);

  it('tags every project with one scope, or as an image', () => {
    const untagged = Object.values(graph.nodes)
      .filter((node) => (node.data.tags ?? []).filter((tag) => tag.startsWith('scope:') || tag === 'type:image').length !== 1)
      .map((node) => node.name);
    expect(untagged).toEqual([]);
  });

  it('images depend on images only, and nothing but e2e projects depends on an image', () => {
    const images = new Set(tagged('type:image'));
    const e2e = new Set(tagged('scope:e2e'));
    expect(images.size).toBeGreaterThanOrEqual(7);
    const wrong: string[] = [];
    for (const [source, dependencies] of Object.entries(graph.dependencies)) {
      for (const { target } of dependencies) {
        if (!graph.nodes[target]) continue; // npm packages
        if (images.has(source) && !images.has(target)) wrong.push(`${source} -> ${target}`);
        if (!images.has(source) && !e2e.has(source) && images.has(target)) wrong.push(`${source} -> ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
