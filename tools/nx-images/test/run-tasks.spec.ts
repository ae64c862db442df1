import type { ProjectGraph, TargetConfiguration } from '@nx/devkit';
import { requestedTasks, runMayInclude } from '../src/run-tasks';

const nx = (...args: string[]) => ['/usr/bin/node', '/repo/node_modules/nx/bin/nx.js', ...args];

/** A graph shaped like the repo's: an image, an e2e project testing it, a lib with plain tests. */
function graph(): ProjectGraph {
  const project = (name: string, targets: Record<string, TargetConfiguration>) => ({ name, type: 'lib' as const, data: { root: name, targets } });
  return {
    nodes: {
      'agent-base': project('agent-base', {
        'build-image': { executor: '@taskforge/nx-images:build-image' },
        'push-image': { executor: '@taskforge/nx-images:push-image', dependsOn: ['build-image'] },
      }),
      'agent-base-e2e': project('agent-base-e2e', { test: { executor: 'nx:run-commands', dependsOn: ['^build-image'] }, lint: {} }),
      'some-lib': project('some-lib', { test: { executor: 'nx:run-commands' }, lint: {}, 'build-docs': {} }),
      'docs-site': project('docs-site', { publish: { dependsOn: [{ target: 'build-image', projects: 'agent-base' }] } }),
    },
    dependencies: {
      'agent-base': [],
      'agent-base-e2e': [{ source: 'agent-base-e2e', target: 'agent-base', type: 'implicit' }],
      'some-lib': [],
      'docs-site': [],
    },
  };
}

const isImageTask = (project: string, target: string) => project === 'agent-base' && target.endsWith('-image');
const mayRunImageTasks = (...args: string[]) => {
  const requested = requestedTasks(nx(...args));
  return requested === undefined || runMayInclude(graph(), requested, isImageTask);
};

describe('which tasks a run may contain, from its command line', () => {
  it('reads the forms of nx that run tasks', () => {
    expect(requestedTasks(nx('run', 'some-lib:test'))).toEqual({ targets: ['test'], projects: ['some-lib'] });
    expect(requestedTasks(nx('run', 'some-lib:test:ci', '--skip-nx-cache'))).toEqual({ targets: ['test', 'test:ci'], projects: ['some-lib'] });
    expect(requestedTasks(nx('test', 'some-lib'))).toEqual({ targets: ['test'], projects: ['some-lib'] });
    expect(requestedTasks(nx('some-lib:test'))).toEqual({ targets: ['test'], projects: ['some-lib'] });
    expect(requestedTasks(nx('test'))).toEqual({ targets: ['test'] });
    expect(requestedTasks(nx('run-many', '-t', 'lint', 'test', '--parallel', '3', '-p', 'some-lib'))).toEqual({ targets: ['lint', 'test'], projects: ['some-lib'] });
    expect(requestedTasks(nx('run-many', '--targets=lint,test', '--projects=tag:scope:libs'))).toEqual({ targets: ['lint', 'test'] });
    expect(requestedTasks(nx('affected', '-t', 'build-image', '--base=main'))).toEqual({ targets: ['build-image'] });
    expect(requestedTasks(nx('release', 'publish'))).toEqual({ targets: ['nx-release-publish'] });
  });

  it('does not guess at command lines it cannot read', () => {
    expect(requestedTasks(nx('exec', '--', 'ls'))).toBeUndefined();
    expect(requestedTasks(nx('run', 'test'))).toBeUndefined();
    expect(requestedTasks(nx('run-many', '--parallel'))).toBeUndefined();
  });

  it('leaves out the image tasks only when no requested task leads to one', () => {
    expect(mayRunImageTasks('run', 'some-lib:test')).toBe(false);
    expect(mayRunImageTasks('run-many', '-t', 'lint')).toBe(false);
    expect(mayRunImageTasks('run-many', '-t', 'test', '-p', 'some-lib')).toBe(false);
    expect(mayRunImageTasks('build-docs')).toBe(false);
  });

  it('counts image tasks reached through dependsOn, patterns and unknown projects', () => {
    expect(mayRunImageTasks('run', 'agent-base:build-image')).toBe(true);
    expect(mayRunImageTasks('run', 'agent-base:push-image')).toBe(true);
    expect(mayRunImageTasks('test', 'agent-base-e2e')).toBe(true);
    // affected: any project may be affected, the e2e project too.
    expect(mayRunImageTasks('affected', '-t', 'test')).toBe(true);
    expect(mayRunImageTasks('run', 'docs-site:publish')).toBe(true);
    expect(mayRunImageTasks('run-many', '-t', '*-image', '-p', 'agent-base')).toBe(true);
    // A project this graph does not know (Nx may resolve a folder): every project's `test`.
    expect(mayRunImageTasks('run-many', '-t', 'test', '-p', 'e2e/agent-base')).toBe(true);
    expect(mayRunImageTasks('exec', '--', 'ls')).toBe(true);
  });
});
