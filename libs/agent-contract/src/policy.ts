import { z } from 'zod';
import { ACTION_TYPES } from './actions';

/**
 * A task's policy. Rules match an action by type and, optionally, by command
 * line (run_command) or workspace path (file actions), with shell-style
 * wildcards. A matching deny wins over any allow; nothing matching is denied.
 */
export const policyRule = z
  .object({
    id: z.string().min(1),
    effect: z.enum(['allow', 'deny']),
    actions: z.array(z.enum([...ACTION_TYPES, '*'])).min(1),
    commands: z.array(z.string().min(1)).optional().describe('patterns for the command line (argv joined with spaces)'),
    paths: z.array(z.string().min(1)).optional().describe('patterns for the workspace-relative path'),
  })
  .strict();

export const policy = z
  .object({
    task_id: z.string().min(1),
    revision: z.string().min(1).describe('changes whenever the policy changes'),
    issued_at: z.string().datetime(),
    rules: z.array(policyRule),
  })
  .strict();

export type PolicyRule = z.infer<typeof policyRule>;
export type Policy = z.infer<typeof policy>;

/** How the runtime decided about one action: written to the audit log and reported with the result. */
export const decision = z
  .object({
    decision_id: z.string().min(1),
    action_id: z.string().min(1),
    action_type: z.string().min(1),
    allowed: z.boolean(),
    matched_rule: z.string().nullable().describe('id of the deciding rule; null when denied by default or for lack of a valid policy'),
    policy_revision: z.string().nullable(),
    reason: z.string().min(1),
  })
  .strict();
export type Decision = z.infer<typeof decision>;
