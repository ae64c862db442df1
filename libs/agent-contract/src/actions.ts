import { z } from 'zod';
import { CONTRACT_LIMITS } from './limits';

/** Paths are relative to the task's workspace; the runtime refuses anything that leads out of it. */
const workspacePath = z.string().min(1).max(4096).regex(/^[^\0]*$/, 'must not contain NUL');
export const ACTION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const actionId = z.string().regex(ACTION_ID_PATTERN);
const outputBytes = z.number().int().positive().max(CONTRACT_LIMITS.maxOutputBytes);

export const runCommandAction = z
  .object({
    id: actionId,
    type: z.literal('run_command'),
    argv: z
      .array(z.string().max(CONTRACT_LIMITS.maxArgChars).regex(/^[^\0]*$/, 'must not contain NUL'))
      .min(1)
      .max(CONTRACT_LIMITS.maxArgs)
      .refine((argv) => argv[0].length > 0, 'argv[0] must name a program')
      .describe('program and arguments; never run through a shell'),
    timeout_s: z.number().positive().max(3600).default(60),
    max_output_bytes: outputBytes.default(65536),
    cwd: workspacePath.optional(),
  })
  .strict();

export const readFileAction = z
  .object({ id: actionId, type: z.literal('read_file'), path: workspacePath, max_bytes: outputBytes.default(1024 * 1024) })
  .strict();

export const writeFileAction = z
  .object({ id: actionId, type: z.literal('write_file'), path: workspacePath, content: z.string().max(CONTRACT_LIMITS.maxContentChars), append: z.boolean().default(false) })
  .strict();

export const listFilesAction = z.object({ id: actionId, type: z.literal('list_files'), path: workspacePath.default('.') }).strict();

export const action = z.discriminatedUnion('type', [runCommandAction, readFileAction, writeFileAction, listFilesAction]);
export type Action = z.infer<typeof action>;
export type ActionInput = z.input<typeof action>;
export const ACTION_TYPES = ['run_command', 'read_file', 'write_file', 'list_files'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
