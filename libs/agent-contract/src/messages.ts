import { z } from 'zod';
import { action } from './actions';
import { decision } from './policy';

export const registerRequest = z
  .object({
    agent: z.object({ hostname: z.string(), pid: z.number().int(), runtime_version: z.string(), python: z.string() }).strict(),
  })
  .strict();

export const registerResponse = z
  .object({ task_id: z.string(), heartbeat_interval_s: z.number().positive().optional() })
  .strict();

export const nextActionResponse = z.union([
  z.object({ action }).strict(),
  z.object({ done: z.literal(true) }).strict(),
  z.object({ wait_ms: z.number().int().nonnegative() }).strict(),
]);

export const actionResult = z
  .object({
    action_id: z.string(),
    status: z.enum(['succeeded', 'failed', 'denied', 'rejected', 'timed_out', 'cancelled']).describe('rejected: the action broke the contract and was neither evaluated nor run'),
    decision,
    exit_code: z.number().int().nullable().optional(),
    stdout: z.string().optional(),
    stderr: z.string().optional(),
    truncated: z.boolean().optional(),
    content: z.string().optional(),
    entries: z.array(z.object({ name: z.string(), type: z.enum(['file', 'dir', 'link', 'other']), size: z.number().int() }).strict()).optional(),
    error: z.string().optional(),
    duration_ms: z.number().nonnegative(),
  })
  .strict();

export const heartbeat = z
  .object({
    state: z.enum(['starting', 'idle', 'running', 'stopping']),
    current_action: z.string().nullable(),
    policy_revision: z.string().nullable(),
  })
  .strict();

/** One line of the runtime's stdout. */
export const logLine = z
  .object({
    ts: z.string().datetime(),
    level: z.enum(['debug', 'info', 'warning', 'error']),
    task_id: z.string().nullable(),
    event: z.string().min(1),
    fields: z.record(z.string(), z.unknown()),
  })
  .strict();

export type RegisterRequest = z.infer<typeof registerRequest>;
export type NextActionResponse = z.infer<typeof nextActionResponse>;
export type ActionResult = z.infer<typeof actionResult>;
export type Heartbeat = z.infer<typeof heartbeat>;
export type LogLine = z.infer<typeof logLine>;
