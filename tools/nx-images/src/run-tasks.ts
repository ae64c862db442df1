import type { ProjectGraph, TargetDependencyConfig } from '@nx/devkit';

/**
 * Which tasks an Nx run may contain, read from its command line: Nx gives a
 * plugin's preTasksExecution the run's argv but not its task graph (Nx
 * 23.2.1: id, workspaceRoot, nxJsonConfiguration, argv). Every answer errs
 * on the side of "may contain": a command line this does not understand
 * may run anything.
 */

/** The targets a command line asks for, and the projects when it names them exactly (undefined: any project). */
export interface RequestedTasks {
  targets: string[];
  projects?: string[];
}

/** Nx commands besides run, run-many, affected and release that run tasks; what they run is not on their command line. */
const OTHER_TASK_COMMANDS = new Set(['exec', 'watch', 'migrate']);

/**
 * `nx run p:t[:c]`, `nx t [p]`, `nx p:t`, `nx run-many -t a b [-p x y]`,
 * `nx affected -t a` and `nx release [publish]`; undefined for anything else.
 * `argv` is the whole process.argv (node, the nx script, then the arguments).
 */
export function requestedTasks(argv: readonly string[]): RequestedTasks | undefined {
  const [command, ...rest] = argv.slice(2);
  if (command === undefined || command.startsWith('-') || OTHER_TASK_COMMANDS.has(command)) return undefined;
  if (command === 'run') {
    const target = rest.find((arg) => !arg.startsWith('-'));
    // `nx run t` (a target of the project in the current folder) cannot be told from `nx run p`.
    return target?.includes(':') ? projectTarget(target) : undefined;
  }
  if (command === 'run-many' || command === 'affected') {
    const targets = listOption(rest, ['t', 'target', 'targets']);
    if (targets.length === 0) return undefined;
    const projects = command === 'run-many' ? listOption(rest, ['p', 'projects']) : [];
    // Patterns (`tag:...`, `libs/*`, `!x`) and directories name projects in ways only Nx resolves.
    const exact = projects.length > 0 && projects.every((project) => /^[\w@.-][\w@./-]*$/.test(project) && !project.includes('*') && !project.startsWith('tag:'));
    return exact ? { targets, projects } : { targets };
  }
  // `nx release` publishes after versioning; `nx release publish` only publishes. Other release steps run no task.
  if (command === 'release') return { targets: ['nx-release-publish'] };
  // Infix form: `nx <target> [project]` or `nx <project>:<target>`; without a project, the one in the current folder.
  if (command.includes(':')) return projectTarget(command);
  const project = rest.find((arg) => !arg.startsWith('-'));
  return project ? { targets: [command], projects: [project] } : { targets: [command] };
}

/** `p:t` or `p:t:c` (or a target with colons in its name): every reading of it. */
function projectTarget(text: string): RequestedTasks {
  const [project, ...segments] = text.split(':');
  const targets = segments.map((_, end) => segments.slice(0, end + 1).join(':'));
  return { targets, projects: [project] };
}

/** Values of a yargs array option: `-t a b`, `-t a,b`, `--targets=a,b`, `-t a -t b`. */
function listOption(args: readonly string[], names: string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const match = /^--?([^=]+)(?:=(.*))?$/.exec(args[i]);
    if (!match || !names.includes(match[1])) continue;
    if (match[2] !== undefined) values.push(match[2]);
    else while (i + 1 < args.length && !args[i + 1].startsWith('-')) values.push(args[++i]);
  }
  return values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
}

/**
 * Whether a task that `matches` can be in a run of `requested`: a requested
 * task or one it depends on through `dependsOn`, followed over the project
 * graph as Nx does, but wider where Nx would narrow (`^t` follows every
 * dependency, not just the nearest with `t`; a project pattern is every project).
 */
export function runMayInclude(graph: ProjectGraph, requested: RequestedTasks, matches: (project: string, target: string) => boolean): boolean {
  const projects = Object.keys(graph.nodes);
  // A project Nx may resolve differently (a folder, a name this graph lacks): any project.
  const start = requested.projects?.every((project) => project in graph.nodes) ? requested.projects : projects;
  const pending = requested.targets.flatMap((target) => tasksOf(graph, start, target));
  const seen = new Set<string>();
  while (pending.length > 0) {
    const [project, target] = pending.pop()!;
    if (seen.has(`${project}:${target}`)) continue;
    seen.add(`${project}:${target}`);
    if (matches(project, target)) return true;
    for (const dependency of graph.nodes[project].data.targets?.[target]?.dependsOn ?? []) pending.push(...dependencyTasks(graph, project, dependency));
  }
  return false;
}

/** The tasks one `dependsOn` entry of a task of `project` names. */
function dependencyTasks(graph: ProjectGraph, project: string, dependency: TargetDependencyConfig | string): Array<[string, string]> {
  if (typeof dependency === 'string') {
    if (dependency.startsWith('^')) return tasksOf(graph, dependenciesOf(graph, project), dependency.slice(1));
    // `p:t` is project p's target t when p is a project, else a target with a colon in its name.
    const [maybeProject, ...segments] = dependency.split(':');
    return segments.length > 0 && maybeProject in graph.nodes ? tasksOf(graph, [maybeProject], segments.join(':')) : tasksOf(graph, [project], dependency);
  }
  if (!dependency.target) return [];
  if (dependency.projects !== undefined) {
    const named = Array.isArray(dependency.projects) ? dependency.projects : [dependency.projects];
    // Patterns and tags only Nx resolves: every project.
    return tasksOf(graph, named.every((name) => name in graph.nodes) ? named : Object.keys(graph.nodes), dependency.target);
  }
  return tasksOf(graph, dependency.dependencies ? dependenciesOf(graph, project) : [project], dependency.target);
}

/** Every project `project` depends on, directly or not. */
function dependenciesOf(graph: ProjectGraph, project: string): string[] {
  const found = new Set<string>();
  const pending = [project];
  while (pending.length > 0) {
    for (const { target } of graph.dependencies[pending.pop()!] ?? []) {
      if (target in graph.nodes && !found.has(target)) {
        found.add(target);
        pending.push(target);
      }
    }
  }
  return [...found];
}

/** The tasks of `projects` whose target `pattern` names: the target itself, or every match of a glob such as `build-*`. */
function tasksOf(graph: ProjectGraph, projects: readonly string[], pattern: string): Array<[string, string]> {
  const glob = new RegExp(`^${pattern.replace(/[.+^$()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  // Braces, classes and negations: every target, rather than a second glob dialect.
  const named = (name: string) => (/[[\]{}!]/.test(pattern) ? true : /[*?]/.test(pattern) ? glob.test(name) : name === pattern);
  return projects.flatMap((project) => Object.keys(graph.nodes[project]?.data.targets ?? {}).filter(named).map((name): [string, string] => [project, name]));
}
