import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeContradiction, policyContradictions, policyRule, type Policy, type PolicyRule } from '@taskforge/agent-contract';

/** Why no policy can be served right now: 503, and the runtime keeps its last verified policy. */
export class PolicyUnavailable extends Error {}

/** A parsed policy file: the serial and each task pattern's rules, in file order. */
export interface PolicyFileContent {
  serial: number;
  tasks: Map<string, PolicyRule[]>;
}

const fileShape = z
  .object({
    serial: z.number().int().positive(),
    // Not z.record: zod drops a "__proto__" key unchecked, and a plain object
    // would answer `tasks["constructor"]`. The entries are parsed one by one
    // into a Map below.
    tasks: z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
      message: 'must be an object of "<task id or glob>": { "rules": [...] }',
    }),
  })
  .strict();
const taskEntry = z.object({ rules: z.array(policyRule) }).strict();

function firstIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  const path = [prefix, ...issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))].join('').replace(/^\./, '');
  return `${path || '(file)'}: ${issue.message.replace(/\s+/g, ' ')}`;
}

/**
 * `{ "serial": <positive int>, "tasks": { "<task id or glob>": { "rules": [...] } } }`;
 * throws an Error with a one-line message naming the first problem.
 */
export function parsePolicyFile(text: string): PolicyFileContent {
  const raw: unknown = JSON.parse(text);
  const shape = fileShape.safeParse(raw);
  if (!shape.success) throw new Error(firstIssue(shape.error, ''));
  const tasks = new Map<string, PolicyRule[]>();
  // Object.entries sees every own key JSON.parse made, "__proto__" included.
  for (const [pattern, value] of Object.entries(shape.data.tasks)) {
    if (pattern === '') throw new Error('tasks: a task pattern must not be empty');
    const entry = taskEntry.safeParse(value);
    if (!entry.success) throw new Error(firstIssue(entry.error, `tasks[${JSON.stringify(pattern)}]`));
    tasks.set(pattern, entry.data.rules);
  }
  return { serial: shape.data.serial, tasks };
}

/** The first contradiction in any task's rules, as one line; undefined for a consistent file. */
export function policyFileContradiction(content: PolicyFileContent): string | undefined {
  for (const [pattern, rules] of content.tasks) {
    const [first] = policyContradictions(rules);
    if (first) return describeContradiction(first, pattern);
  }
  return undefined;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

interface Accepted extends PolicyFileContent {
  contentHash: string;
  revision: string;
  globs: Array<[RegExp, PolicyRule[]]>;
}

/**
 * Policies from a JSON file, re-read on every request (a small file; no stale
 * cache when a write keeps the size and mtime). An exact task id wins, then
 * the first glob that matches; no match means no rules, so everything is
 * denied. The revision is a hash of the file's content.
 *
 * A file is refused (503, the runtime keeps its last verified policy) when it
 * cannot be read or parsed, when it is contradictory, when its serial is
 * lower than one already loaded (a rollback, perhaps to a policy that allowed
 * more), or when its content changed while the serial did not go up (the
 * runtime, which orders policies by serial, would not take the change).
 */
export class PolicyFile {
  private accepted?: Accepted;
  private refused?: { contentHash: string; error: PolicyUnavailable };

  constructor(readonly path: string) {}

  /** Loads the file now: throws PolicyUnavailable when it would not be served. */
  check(): { serial: number; revision: string } {
    const { serial, revision } = this.load();
    return { serial, revision };
  }

  policyFor(taskId: string): Policy {
    const { serial, revision, tasks, globs } = this.load();
    const rules = tasks.get(taskId) ?? globs.find(([glob]) => glob.test(taskId))?.[1] ?? [];
    return { task_id: taskId, revision, serial, issued_at: new Date().toISOString(), rules };
  }

  private load(): Accepted {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      throw new PolicyUnavailable(`policy file ${this.path} cannot be read: ${(error as Error).message}`);
    }
    const contentHash = createHash('sha256').update(text).digest('hex');
    if (this.accepted?.contentHash === contentHash) return this.accepted;
    if (this.refused?.contentHash === contentHash) throw this.refused.error;
    try {
      this.accepted = this.accept(text, contentHash);
      this.refused = undefined;
      return this.accepted;
    } catch (error) {
      if (!(error instanceof PolicyUnavailable)) throw error;
      this.refused = { contentHash, error };
      throw error;
    }
  }

  private accept(text: string, contentHash: string): Accepted {
    let content: PolicyFileContent;
    try {
      content = parsePolicyFile(text);
    } catch (error) {
      throw new PolicyUnavailable(`policy file ${this.path} is invalid: ${(error as Error).message.split('\n')[0]}`);
    }
    const previous = this.accepted?.serial;
    if (previous !== undefined && content.serial < previous) {
      throw new PolicyUnavailable(`policy file ${this.path} has serial ${content.serial}, below serial ${previous} already loaded; refusing to roll back (give it a serial above ${previous})`);
    }
    if (previous !== undefined && content.serial === previous) {
      throw new PolicyUnavailable(`policy file ${this.path} changed but its serial stayed ${previous}; raise the serial to publish the change`);
    }
    const contradiction = policyFileContradiction(content);
    if (contradiction) throw new PolicyUnavailable(`policy file ${this.path} is contradictory: ${contradiction}`);
    const globs = [...content.tasks].filter(([pattern]) => /[*?]/.test(pattern)).map(([pattern, rules]): [RegExp, PolicyRule[]] => [globToRegExp(pattern), rules]);
    return { ...content, contentHash, revision: contentHash.slice(0, 16), globs };
  }
}
