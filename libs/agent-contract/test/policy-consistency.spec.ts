import { describeContradiction, isExecWrapper, policyContradictions, policyRule, type PolicyContradiction, type PolicyRule } from '../src';

const rules = (...raw: unknown[]): PolicyRule[] => raw.map((r) => policyRule.parse(r));
const allow = (id: string, extra: Record<string, unknown>) => ({ id, effect: 'allow', actions: ['run_command'], ...extra });
const deny = (id: string, extra: Record<string, unknown>) => ({ id, effect: 'deny', ...extra });

describe('isExecWrapper', () => {
  it.each([
    // shells
    'sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'fish', 'busybox', 'rbash', '/bin/sh', '/usr/bin/bash',
    // interpreters, versioned or by absolute path
    'python', 'python3', 'python3.12', '/usr/bin/python3.11', 'python3.11-dbg', 'pypy3', 'node', 'nodejs', 'deno', 'bun', 'perl', 'perl5.36', 'ruby', 'ruby3.1', 'php', 'php8.2',
    'lua', 'lua5.4', 'luajit', 'tclsh', 'tclsh8.6', 'wish', 'Rscript', 'julia', 'java', 'jshell', 'go', 'gdb', 'awk', 'gawk', 'mawk', 'nawk', 'sed', 'ed', 'ts-node', '/lib64/ld-linux-x86-64.so.2',
    // editors and pagers with shell escapes
    'vim', 'vi', 'nvim', 'ex', 'emacs', 'less', 'more', 'man',
    // tools that run project code or commands they are given
    'git', 'make', 'tar', 'rsync', 'ssh', 'scp', 'zip', 'find', 'xargs', 'parallel', 'env', 'timeout', 'nice', 'nohup', 'stdbuf', 'setsid', 'ionice', 'chrt', 'taskset', 'flock',
    'time', 'watch', 'script', 'strace', 'ltrace', 'sudo', 'su', 'doas', 'chroot', 'unshare', 'nsenter', 'runuser', 'sg', 'newgrp', 'docker', 'kubectl',
    'npm', 'npx', 'yarn', 'pnpm', 'pip', 'pip3', 'pip3.11', 'cmake', 'expect', 'gcc', 'gcc-13', 'x86_64-linux-gnu-gcc-13', 'sort', 'split',
    // any program
    '*',
  ])('%s runs arbitrary code', (program) => expect(isExecWrapper(program)).toBe(true));

  it.each(['echo', '/bin/echo', 'ls', 'cat', 'true', 'date', 'uname', 'wc', 'head', 'pwd', 'printf', 'sha256sum', 'md5sum', 'shasum', 'bashful', 'pythonic', 'nodemon-like', 'gitk2x'])(
    '%s is not a wrapper (names match whole, not as substrings)',
    (program) => expect(isExecWrapper(program)).toBe(false),
  );
});

describe('policyContradictions', () => {
  const noSecrets = deny('no-secrets', { actions: ['*'], paths: ['secrets/*'] });
  const noCurl = deny('no-curl', { actions: ['run_command'], commands: ['curl *'] });

  it.each<[string, unknown[], PolicyContradiction[]]>([
    ['run_command allowed without commands (every command) vs a command deny', [allow('all-commands', {}), noCurl], [{ allowRule: 'all-commands', program: '*', denyRule: 'no-curl' }]],
    ['every action allowed vs a path deny', [{ id: 'anything', effect: 'allow', actions: ['*'] }, noSecrets], [{ allowRule: 'anything', program: '*', denyRule: 'no-secrets' }]],
    ['an interpreter vs a path deny', [allow('py', { commands: ['python3 *'] }), noSecrets], [{ allowRule: 'py', program: 'python3', denyRule: 'no-secrets' }]],
    ['any program with fixed arguments vs a command deny', [allow('versions', { commands: ['* --version'] }), noCurl], [{ allowRule: 'versions', program: '*', denyRule: 'no-curl' }]],
    ['a shell by absolute path vs a read deny', [allow('sh', { commands: ['/bin/sh -c *'] }), deny('no-env', { actions: ['read_file'], paths: ['.env'] })], [{ allowRule: 'sh', program: '/bin/sh', denyRule: 'no-env' }]],
    ['git with fixed arguments (hooks, fsmonitor) vs a write deny', [allow('git', { commands: ['git status'] }), deny('ro-ci', { actions: ['write_file'], paths: ['.github/*'] })], [{ allowRule: 'git', program: 'git', denyRule: 'ro-ci' }]],
    ['an exec wrapper vs a command deny', [allow('env', { commands: ['env *'] }), deny('no-rm', { actions: ['run_command'], commands: ['rm *'] })], [{ allowRule: 'env', program: 'env', denyRule: 'no-rm' }]],
    ['a versioned interpreter vs a deny of every listing (no paths)', [allow('tests', { commands: ['echo *', 'python3.12 -m pytest'] }), deny('no-ls', { actions: ['list_files'] })], [{ allowRule: 'tests', program: 'python3.12', denyRule: 'no-ls' }]],
    ['a wrapper in an allow rule for every action type', [{ id: 'mixed', effect: 'allow', actions: ['*'], commands: ['make *'] }, noCurl], [{ allowRule: 'mixed', program: 'make', denyRule: 'no-curl' }]],
    [
      'the old example policy: python3 vs both of its deny rules',
      [
        { id: 'workspace-files', effect: 'allow', actions: ['read_file', 'write_file', 'list_files'] },
        { id: 'no-secrets-dir', effect: 'deny', actions: ['*'], paths: ['secrets/*', 'secrets'] },
        { id: 'basic-commands', effect: 'allow', actions: ['run_command'], commands: ['echo *', 'ls', 'ls *', 'cat *', 'python3 *'] },
        { id: 'no-network-tools', effect: 'deny', actions: ['run_command'], commands: ['curl *', 'wget *'] },
      ],
      [
        { allowRule: 'basic-commands', program: 'python3', denyRule: 'no-secrets-dir' },
        { allowRule: 'basic-commands', program: 'python3', denyRule: 'no-network-tools' },
      ],
    ],
    [
      'arbitrary_code on one allow rule does not cover another',
      [allow('py', { commands: ['python3 *'], arbitrary_code: true }), allow('sh', { commands: ['bash -c *'] }), noSecrets],
      [{ allowRule: 'sh', program: 'bash', denyRule: 'no-secrets' }],
    ],
  ])('refuses %s', (_name, raw, expected) => expect(policyContradictions(rules(...raw))).toEqual(expected));

  it.each<[string, unknown[]]>([
    ['wrappers marked arbitrary_code next to deny rules', [allow('py', { commands: ['python3 *', 'sh -c *'], arbitrary_code: true }), noSecrets, noCurl]],
    ['every command marked arbitrary_code', [allow('all', { arbitrary_code: true }), noCurl]],
    ['programs that run nothing else next to deny rules', [allow('basic', { commands: ['echo *', 'ls', 'ls *', 'cat *', '/usr/bin/wc -l *'] }), noSecrets, noCurl]],
    ['wrappers with no deny rule at all', [allow('py', { commands: ['python3 *', 'bash *'] }), { id: 'files', effect: 'allow', actions: ['read_file'] }]],
    ['a run_command allow with only paths (it speaks only of file actions)', [allow('odd', { paths: ['src/*'] }), noSecrets]],
    ['file actions only', [{ id: 'files', effect: 'allow', actions: ['read_file', 'write_file', 'list_files'] }, noSecrets]],
    ['deny rules only', [noSecrets, noCurl]],
    ['a wrapper that is denied, not allowed', [deny('no-py', { actions: ['run_command'], commands: ['python3 *'] }), allow('echo', { commands: ['echo *'] })]],
    ['no rules', []],
  ])('accepts %s', (_name, raw) => expect(policyContradictions(rules(...raw))).toEqual([]));

  it('describes a contradiction on one line naming the task pattern, both rules and the program', () => {
    const [first] = policyContradictions(rules(allow('py', { commands: ['python3 *'] }), noSecrets));
    const line = describeContradiction(first, 'build-*');
    expect(line).not.toContain('\n');
    for (const part of ['"build-*"', '"py"', '"python3"', '"no-secrets"', 'arbitrary_code']) expect(line).toContain(part);
    expect(describeContradiction({ allowRule: 'all', program: '*', denyRule: 'd' })).toContain('any program');
  });
});
