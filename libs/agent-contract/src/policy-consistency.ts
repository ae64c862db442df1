import type { PolicyRule } from './policy';

/**
 * Programs that run other programs or arbitrary code: once a policy allows one
 * of them, the agent can do through it anything the deny rules forbid (a shell
 * runs the denied command, an interpreter opens the denied path). Their
 * arguments cannot be restricted to safety either: most also read code or
 * configuration from the writable workspace (git's core.fsmonitor and
 * aliases, Makefiles, package.json scripts, conftest.py, webpack/eslint
 * configs), so even `git status` or `make test` is arbitrary code. Some are
 * less obvious: GNU sed's `e`, sort's --compress-program, split's --filter,
 * tar's --to-command, find -exec, wget --use-askpass, cowsay -f (a Perl file).
 *
 * Matched by basename; a versioned name (python3.12, lua5.4, gcc-13,
 * perl5.36) and a prefixed one (x86_64-linux-gnu-gcc, ts-node) count as the
 * program they name. Sources: GTFOBins (shell escapes, command execution),
 * the programs' manuals.
 */
export const EXEC_WRAPPER_PROGRAMS: Readonly<Record<string, readonly string[]>> = {
  shells: ['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'pdksh', 'oksh', 'loksh', 'ash', 'yash', 'posh', 'csh', 'tcsh', 'fish', 'rc', 'es', 'sash', 'rbash', 'rzsh', 'elvish', 'nu', 'xonsh', 'pwsh', 'powershell', 'busybox', 'toybox', 'command', 'builtin'],
  interpreters: [
    'python', 'pypy', 'ipython', 'pdb', 'pydoc', 'node', 'nodejs', 'ts-node', 'tsx', 'deno', 'bun', 'bunx', 'perl', 'perldoc', 'cpan', 'cpanm', 'ruby', 'irb', 'pry', 'erb', 'ri',
    'php', 'lua', 'luajit', 'texlua', 'tclsh', 'wish', 'expect', 'Rscript', 'R', 'julia', 'octave', 'java', 'jshell', 'jrunscript', 'jjs', 'kotlin', 'scala', 'groovy',
    'clojure', 'clj', 'erl', 'escript', 'elixir', 'iex', 'ghci', 'runghc', 'runhaskell', 'ocaml', 'racket', 'guile', 'sbcl', 'clisp', 'csi', 'swipl', 'gforth', 'dart', 'swift',
    'awk', 'gawk', 'mawk', 'nawk', 'busybox-awk', 'sed', 'gsed', 'ed', 'm4', 'dc', 'gdb', 'lldb', 'tcc', 'ld.so', 'ld-linux.so', 'ld-linux-x86-64.so', 'ld-linux-aarch64.so',
    'sqlite3', 'psql', 'mysql', 'mariadb', 'mongo', 'mongosh', 'sqlplus', 'gnuplot', 'groff', 'pic', 'cowsay', 'cowthink', 'latex', 'pdflatex', 'xelatex', 'lualatex', 'luatex', 'tex', 'mpost',
  ],
  'editors and pagers (shell escapes)': ['vi', 'vim', 'nvim', 'view', 'vimdiff', 'rvim', 'rview', 'ex', 'emacs', 'emacsclient', 'nano', 'pico', 'joe', 'jed', 'mcedit', 'mc', 'less', 'more', 'most', 'pg', 'man', 'journalctl', 'systemctl', 'dmesg'],
  'build and package tools (run project code)': [
    'make', 'gmake', 'cmake', 'ninja', 'meson', 'scons', 'bazel', 'gradle', 'gradlew', 'mvn', 'mvnw', 'ant', 'sbt', 'lein', 'cargo', 'rustc', 'go', 'dotnet', 'msbuild',
    'gcc', 'g++', 'cc', 'c++', 'clang', 'clang++', 'ld', 'javac', 'ghc', 'stack', 'cabal', 'dune', 'opam', 'mix', 'rake', 'bundle', 'bundler', 'gem', 'composer', 'luarocks',
    'npm', 'npx', 'yarn', 'pnpm', 'pnpx', 'corepack', 'jest', 'vitest', 'mocha', 'webpack', 'vite', 'rollup', 'eslint', 'prettier', 'babel',
    'pip', 'pipx', 'easy_install', 'poetry', 'pipenv', 'uv', 'uvx', 'hatch', 'pdm', 'conda', 'mamba', 'micromamba', 'tox', 'nox', 'pytest', 'py.test', 'jupyter',
    'pre-commit', 'mypy', 'pylint', 'flake8', 'coverage', 'behave', 'nose2', 'sphinx-build', 'mkdocs', 'rspec', 'cucumber', 'phpunit', 'karma', 'cypress', 'playwright',
    'git', 'hg', 'svn', 'bzr', 'fossil', 'apt', 'apt-get', 'dpkg', 'rpm', 'yum', 'dnf', 'zypper', 'apk', 'pacman', 'brew', 'ansible', 'ansible-playbook', 'terraform', 'packer', 'vagrant',
  ],
  'exec wrappers (run the command they are given)': [
    'env', 'xargs', 'find', 'parallel', 'timeout', 'nice', 'nohup', 'stdbuf', 'unbuffer', 'setsid', 'ionice', 'chrt', 'taskset', 'numactl', 'prlimit', 'cpulimit', 'flock', 'time',
    'multitime', 'hyperfine', 'watch', 'entr', 'script', 'screen', 'tmux', 'rlwrap', 'strace', 'ltrace', 'valgrind', 'perf', 'catchsegv', 'run-parts', 'logsave', 'setarch',
    'linux32', 'linux64', 'i386', 'x86_64', 'uname26', 'sdiff', 'diff3', 'ldd', 'pldd', 'getconf', 'install', 'runcon', 'choom', 'uclampset', 'scriptlive', 'pager', 'split', 'sort', 'fakeroot', 'fakechroot', 'faketime', 'firejail', 'bwrap', 'proxychains', 'proxychains4', 'torsocks', 'xvfb-run', 'dbus-run-session', 'dbus-launch',
    'ssh-agent', 'mpirun', 'mpiexec', 'srun', 'at', 'batch', 'crontab', 'systemd-run', 'start-stop-daemon', 'daemonize', 'chpst', 'xterm',
    'sudo', 'sudoedit', 'su', 'doas', 'pkexec', 'runuser', 'sg', 'newgrp', 'setpriv', 'capsh', 'chroot', 'unshare', 'nsenter', 'ip', 'systemd-nspawn',
  ],
  'remote and container tools': ['ssh', 'ssh-keygen', 'scp', 'sftp', 'rsync', 'ftp', 'telnet', 'mail', 'mailx', 'nc', 'ncat', 'netcat', 'socat', 'wget', 'aria2c', 'tcpdump', 'nmap', 'openvpn', 'docker', 'docker-compose', 'podman', 'nerdctl', 'ctr', 'crictl', 'kubectl', 'helm', 'lxc', 'virsh'],
  'archivers that run commands': ['tar', 'cpio', 'zip'],
};

const WRAPPERS = new Set(Object.values(EXEC_WRAPPER_PROGRAMS).flat());

/** python3.12 -> python, gcc-13 -> gcc, python3.11-dbg -> python, perl5.36.0 -> perl; the name itself when it carries no version. */
function withoutVersion(name: string): string {
  return name.replace(/(?<=[A-Za-z+])[-.]?\d+(\.\d+)*(m|d|-dbg)?$/, '');
}

/** Whether a program (a name or an absolute path) runs arbitrary code or other programs; `*` (any program) does. */
export function isExecWrapper(program: string): boolean {
  if (program === '*') return true;
  const name = program.slice(program.lastIndexOf('/') + 1);
  const candidates = [name, withoutVersion(name)];
  // Prefixed names: x86_64-linux-gnu-gcc-13, ts-node, babel-node.
  for (const candidate of [...candidates]) candidates.push(withoutVersion(candidate.slice(candidate.lastIndexOf('-') + 1)));
  return candidates.some((candidate) => WRAPPERS.has(candidate));
}

export interface PolicyContradiction {
  /** The allow rule that lets a wrapper run. */
  allowRule: string;
  /** The wrapper it lets run: a program, `*` for any program, or `*` when the rule has no `commands` (every command). */
  program: string;
  /** A deny rule the wrapper can get around. */
  denyRule: string;
}

const allowsRunCommand = (rule: PolicyRule) => rule.actions.includes('run_command') || rule.actions.includes('*');

/** The first program an allow rule lets run that is a wrapper, if any. */
function wrapperAllowedBy(rule: PolicyRule): string | undefined {
  if (rule.effect !== 'allow' || rule.arbitrary_code === true || !allowsRunCommand(rule)) return undefined;
  // Without `commands`, a rule with `paths` speaks only of file actions; with neither, it allows every command.
  if (rule.commands === undefined) return rule.paths === undefined ? '*' : undefined;
  return rule.commands.map((pattern) => pattern.split(' ', 1)[0]).find(isExecWrapper);
}

/**
 * Pairs of rules that contradict each other: an allow rule that lets an
 * interpreter or exec wrapper run, and a deny rule it can get around. Every
 * deny rule can be got around that way: one for run_command (the wrapper runs
 * the denied command for the agent) and one for file actions, with or without
 * `paths` (a shell reads, writes and lists any file). Such a policy promises
 * what it cannot enforce, so services refuse it, unless the allow rule says
 * `"arbitrary_code": true`: its author knows the deny rules do not bind
 * what runs under it.
 *
 * Static, and only a first warning: a program is judged by its name, so a
 * wrapper under another name (a copy or symlink of bash as
 * /usr/local/bin/tool, setarch as an alias no list knows) passes here. The
 * runtime decides from the image's own files (images/base/agent/
 * program_classes.py): next to a deny rule it runs only programs the image
 * lists as plain, whatever their name.
 */
export function policyContradictions(rules: readonly PolicyRule[]): PolicyContradiction[] {
  const denies = rules.filter((rule) => rule.effect === 'deny');
  const found: PolicyContradiction[] = [];
  for (const rule of rules) {
    const program = wrapperAllowedBy(rule);
    if (program === undefined) continue;
    for (const deny of denies) found.push({ allowRule: rule.id, program, denyRule: deny.id });
  }
  return found;
}

/** One line for an operator: which rules, which program, and the two ways out. */
export function describeContradiction(contradiction: PolicyContradiction, taskPattern?: string): string {
  const where = taskPattern === undefined ? '' : `task pattern ${JSON.stringify(taskPattern)}: `;
  const what = contradiction.program === '*' ? 'any program' : JSON.stringify(contradiction.program);
  return (
    `${where}allow rule ${JSON.stringify(contradiction.allowRule)} lets ${what} run, which can do what deny rule ${JSON.stringify(contradiction.denyRule)} forbids; ` +
    `narrow the allow rule or mark it "arbitrary_code": true`
  );
}
