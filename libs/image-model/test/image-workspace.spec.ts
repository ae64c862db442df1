import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImageWorkspace, loadImageWorkspaceSettled } from '../src';

const options = { registry: 'localhost:5000', inRepoPrefixes: ['openclaw-'] };

/** A workspace with openclaw-base and openclaw-agent-ds; `files` adds or replaces files. */
function workspace(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'image-workspace-'));
  const all: Record<string, string> = {
    'images/base/image.json': JSON.stringify({ name: 'openclaw-base', project: 'agent-base', description: 'base' }),
    'images/base/VERSION': '1.0.0\n',
    'images/base/Dockerfile': 'FROM scratch\n',
    'images/ds/image.json': JSON.stringify({ name: 'openclaw-agent-ds', project: 'agent-ds', description: 'ds' }),
    'images/ds/VERSION': '1.0.0\n',
    'images/ds/Dockerfile': 'FROM openclaw-base:1.0.0\n',
    ...files,
  };
  for (const [path, content] of Object.entries(all)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const definitions = ['images/base/image.json', 'images/ds/image.json'];

describe('loadImageWorkspace', () => {
  const roots: string[] = [];
  const make = (files?: Record<string, string>) => {
    const root = workspace(files);
    roots.push(root);
    return root;
  };
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

  it('draws the edge of a correct name', () => {
    const loaded = loadImageWorkspace(make(), definitions, options);
    expect(loaded.projects.get('agent-ds')!.parents).toEqual(['agent-base']);
  });

  it('fails a misspelt in-repo name with the file, the line, the name and the known images, the closest first', () => {
    const root = make({ 'images/ds/Dockerfile': '# syntax\nFROM openclaw-bsae:1.0.0\n' });
    expect(() => loadImageWorkspace(root, definitions, options)).toThrow(
      'images/ds/Dockerfile:2: FROM openclaw-bsae:1.0.0 names no image of this repo; did you mean openclaw-base? Known images: openclaw-base. Fix the name, or add that image under images/.',
    );
  });

  it('points at the ARG line when the name comes from an ARG default', () => {
    const root = make({ 'images/ds/Dockerfile': 'ARG BASE_IMAGE=localhost:5000/openclaw-bsae:1.0.0\nFROM ${BASE_IMAGE}\n' });
    expect(() => loadImageWorkspace(root, definitions, options)).toThrow(
      'images/ds/Dockerfile:1: ARG BASE_IMAGE=localhost:5000/openclaw-bsae:1.0.0 (the FROM on line 2) names no image of this repo; did you mean openclaw-base?',
    );
  });

  it('suggests nothing for a name far from every image, but still lists them', () => {
    const root = make({ 'images/ds/Dockerfile': 'FROM scratch\nCOPY --from=openclaw-toolbox /x /x\n' });
    expect(() => loadImageWorkspace(root, definitions, options)).toThrow(
      'images/ds/Dockerfile:2: COPY --from openclaw-toolbox names no image of this repo. Known images: openclaw-base.',
    );
  });

  it('leaves names of other registries and prefixes alone', () => {
    const root = make({ 'images/ds/Dockerfile': 'FROM debian:bookworm\nCOPY --from=registry.example:5000/openclaw-bsae /x /x\n' });
    expect(loadImageWorkspace(root, definitions, options).projects.get('agent-ds')!.parents).toEqual([]);
  });

  it('settled: reports the unknown name and keeps every image, so the rest of the graph still reads', () => {
    const root = make({ 'images/ds/Dockerfile': 'FROM openclaw-base:1.0.0\nCOPY --from=openclaw-bsae /x /x\n' });
    const { workspace: loaded, errors } = loadImageWorkspaceSettled(root, definitions, options);
    expect(errors.map((error) => error.message)).toEqual([expect.stringMatching(/^images\/ds\/Dockerfile:2: COPY --from openclaw-bsae names no image/)]);
    expect([...loaded.projects.keys()].sort()).toEqual(['agent-base', 'agent-ds']);
    expect(loaded.projects.get('agent-ds')!.parents).toEqual(['agent-base']);
  });

  it('settled: one bad definition does not take the other images down, nor is its name reported as unknown', () => {
    const root = make({ 'images/base/VERSION': 'one\n' });
    const { workspace: loaded, errors } = loadImageWorkspaceSettled(root, definitions, options);
    expect(errors.map((error) => error.message)).toEqual(['images/base/VERSION: "one" is not a semantic version; write one such as 1.0.0.']);
    expect([...loaded.projects.keys()]).toEqual(['agent-ds']);
  });
});
