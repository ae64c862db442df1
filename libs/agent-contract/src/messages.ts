import { z } from 'zod';
import { action } from './actions';
import { decision } from './policy';
import { contractString, jsonTreeProblem } from './wire';

export const registerRequest = z
  .object({
    agent: z.object({ hostname: contractString(), pid: z.number().int(), runtime_version: contractString(), python: contractString() }).strict(),
  })
  .strict();

export const registerResponse = z
  .object({ task_id: contractString(), heartbeat_interval_s: z.number().positive().optional() })
  .strict();

export const nextActionResponse = z.union([
  z.object({ action }).strict(),
  z.object({ done: z.literal(true) }).strict(),
  z.object({ wait_ms: z.number().int().nonnegative() }).strict(),
]);

export const actionResult = z
  .object({
    action_id: contractString(),
    status: z.enum(['succeeded', 'failed', 'denied', 'rejected', 'timed_out', 'cancelled']).describe('rejected: the action broke the contract and was neither evaluated nor run'),
    decision,
    exit_code: z.number().int().nullable().optional(),
    stdout: contractString().optional(),
    stderr: contractString().optional(),
    truncated: z.boolean().optional(),
    content: contractString().optional(),
    entries: z.array(z.object({ name: contractString(), type: z.enum(['file', 'dir', 'link', 'other']), size: z.number().int() }).strict()).optional(),
    error: contractString().optional(),
    duration_ms: z.number().nonnegative(),
  })
  .strict();

export const heartbeat = z
  .object({
    state: z.enum(['starting', 'idle', 'running', 'stopping']),
    current_action: contractString().nullable(),
    policy_revision: contractString().nullable(),
  })
  .strict();

/** One line of the runtime's stdout. */
export const logLine = z
  .object({
    ts: z.string().datetime(),
    level: z.enum(['debug', 'info', 'warning', 'error']),
    task_id: contractString().nullable(),
    event: contractString().min(1),
    fields: z.record(contractString(), z.unknown()).superRefine((fields, ctx) => {
      // The values are free-form: hold them to the wire rules a schema cannot state (fields sits 2 deep in the line).
      const problem = jsonTreeProblem(fields, 2);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
  })
  .strict();

export type RegisterRequest = z.infer<typeof registerRequest>;
export type NextActionResponse = z.infer<typeof nextActionResponse>;
export type ActionResult = z.infer<typeof actionResult>;
export type Heartbeat = z.infer<typeof heartbeat>;
export type LogLine = z.infer<typeof logLine>;
