import { z } from 'zod';
import { ACTION_TYPES } from './actions';
import { contractString } from './wire';

/** The program part of a command pattern: `*`, a name (found through PATH), or an absolute path; no wildcards. */
export const COMMAND_PROGRAM_PATTERN = /^(\*|[^\s/*?[\]]+|\/[^\s*?[\]]+)$/;

/** A whole command pattern: its program (up to the first space) as COMMAND_PROGRAM_PATTERN says, then the end or a space. A regex, not a refine, so the JSON Schema (and the runtime) hold it too. */
export const COMMAND_PATTERN = /^(?:\*|[^\s/*?[\]]+|\/[^\s*?[\]]+)(?= |$)/;

const commandPattern = contractString()
  .min(1)
  .regex(COMMAND_PATTERN, 'the program (first word) must be *, a name found through PATH or an absolute path, without wildcards');

/**
 * A task's policy. Rules match an action by type and, optionally, by command
 * line (run_command) or workspace path (file actions), with shell-style
 * wildcards. A matching deny wins over any allow; nothing matching is denied.
 */
export const policyRule = z
  .object({
    id: contractString().min(1),
    effect: z.enum(['allow', 'deny']),
    actions: z.array(z.enum([...ACTION_TYPES, '*'])).min(1),
    commands: z
      .array(commandPattern)
      .min(1)
      .optional()
      .describe('"<program> <argument pattern>": the program is a name found through PATH, an absolute path, or * for any; it matches argv[0] when both resolve to the same executable. The rest is a shell-style wildcard pattern for the arguments (shell-quoted, joined with spaces); no rest means no arguments'),
    paths: z
      .array(contractString().min(1))
      .min(1)
      .optional()
      .describe('shell-style wildcard patterns for the canonical workspace-relative path (after "." and ".." are resolved and symlinks inside the workspace followed)'),
    arbitrary_code: z
      .boolean()
      .optional()
      .describe('true on an allow rule that lets an interpreter or exec wrapper run: its author knows the deny rules cannot stop what that program does'),
  })
  .strict();

export const policy = z
  .object({
    task_id: contractString().min(1),
    revision: contractString().min(1).describe('changes whenever the policy changes'),
    serial: z.number().int().positive().describe('goes up whenever the policy changes; the runtime never accepts a serial below the one in force'),
    issued_at: z.string().datetime(),
    rules: z.array(policyRule),
  })
  .strict();

export type PolicyRule = z.infer<typeof policyRule>;
export type Policy = z.infer<typeof policy>;

/** How the runtime decided about one action: written to the audit log and reported with the result. */
export const decision = z
  .object({
    decision_id: contractString().min(1),
    action_id: contractString().min(1),
    action_type: contractString().min(1),
    allowed: z.boolean(),
    matched_rule: contractString().nullable().describe('id of the deciding rule; null when denied by default or for lack of a valid policy'),
    policy_revision: contractString().nullable(),
    reason: contractString().min(1),
  })
  .strict();
export type Decision = z.infer<typeof decision>;
