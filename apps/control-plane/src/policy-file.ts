import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { policyRule, type Policy } from '@taskforge/agent-contract';

/** `{ "tasks": { "<task id or glob>": { "rules": [...] } } }`: an exact id wins, then the first glob that matches. */
export const policyFileSchema = z.object({ tasks: z.record(z.string(), z.object({ rules: z.array(policyRule) }).strict()) }).strict();

export class PolicyUnavailable extends Error {}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

interface Loaded {
  mtimeMs: number;
  size: number;
  revision: string;
  tasks: z.infer<typeof policyFileSchema>['tasks'];
}

/**
 * Policies from a JSON file, re-read whenever it changes. The revision is a
 * hash of the file's content, so it changes exactly when the file does. A
 * file that cannot be read or parsed makes every policy unavailable: the
 * runtime then keeps its last verified policy, as designed.
 */
export class PolicyFile {
  private loaded?: Loaded;

  constructor(readonly path: string) {}

  private load(): Loaded {
    let stat;
    try {
      stat = statSync(this.path);
    } catch (error) {
      throw new PolicyUnavailable(`policy file ${this.path} cannot be read: ${(error as Error).message}`);
    }
    if (this.loaded && this.loaded.mtimeMs === stat.mtimeMs && this.loaded.size === stat.size) return this.loaded;
    const text = readFileSync(this.path, 'utf8');
    let parsed: z.infer<typeof policyFileSchema>;
    try {
      parsed = policyFileSchema.parse(JSON.parse(text));
    } catch (error) {
      this.loaded = undefined;
      throw new PolicyUnavailable(`policy file ${this.path} is invalid: ${(error as Error).message.split('\n')[0]}`);
    }
    this.loaded = { mtimeMs: stat.mtimeMs, size: stat.size, revision: createHash('sha256').update(text).digest('hex').slice(0, 16), tasks: parsed.tasks };
    return this.loaded;
  }

  policyFor(taskId: string): Policy {
    const { revision, tasks } = this.load();
    const entry = tasks[taskId] ?? Object.entries(tasks).find(([pattern]) => globToRegExp(pattern).test(taskId))?.[1];
    return { task_id: taskId, revision, issued_at: new Date().toISOString(), rules: entry?.rules ?? [] };
  }
}
