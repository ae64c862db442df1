import { z } from 'zod';
import { CONTRACT_LIMITS } from './limits';
import { contractString } from './wire';

/** Paths are relative to the task's workspace; the runtime refuses anything that leads out of it. */
const workspacePath = contractString().min(1).max(4096).regex(/^[^\0]*$/, 'must not contain NUL');
export const ACTION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const actionId = contractString().regex(ACTION_ID_PATTERN);
const outputBytes = z.number().int().positive().max(CONTRACT_LIMITS.maxOutputBytes);

const argvItem = contractString().max(CONTRACT_LIMITS.maxArgChars).regex(/^[^\0]*$/, 'must not contain NUL');
/** argv[0] names the program: json-schemas.ts publishes this refinement as `prefixItems` (a JSON Schema cannot see a refine). */
export const argv = z
  .array(argvItem)
  .min(1)
  .max(CONTRACT_LIMITS.maxArgs)
  // zod runs a refinement even after min(1) failed: an empty argv must not crash it (it would be a 500, not a 400).
  .refine((items) => typeof items[0] !== 'string' || items[0].length > 0, 'argv[0] must name a program')
  .describe('program and arguments; never run through a shell');

export const runCommandAction = z
  .object({
    id: actionId,
    type: z.literal('run_command'),
    argv,
    timeout_s: z.number().positive().max(3600).default(60),
    max_output_bytes: outputBytes.default(65536),
    cwd: workspacePath.optional(),
  })
  .strict();

export const readFileAction = z
  .object({ id: actionId, type: z.literal('read_file'), path: workspacePath, max_bytes: outputBytes.default(1024 * 1024) })
  .strict();

export const writeFileAction = z
  .object({ id: actionId, type: z.literal('write_file'), path: workspacePath, content: contractString().max(CONTRACT_LIMITS.maxContentChars), append: z.boolean().default(false) })
  .strict();

export const listFilesAction = z.object({ id: actionId, type: z.literal('list_files'), path: workspacePath.default('.') }).strict();

export const action = z.discriminatedUnion('type', [runCommandAction, readFileAction, writeFileAction, listFilesAction]);
export type Action = z.infer<typeof action>;
export type ActionInput = z.input<typeof action>;
export const ACTION_TYPES = ['run_command', 'read_file', 'write_file', 'list_files'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
