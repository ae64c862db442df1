import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseJsonText, UserError } from '@taskforge/user-errors';
import { parseImageReference } from './image-reference';

/** The one file that names what task builds start from; services read it, releases update it. */
export const TASK_BUILD_DEFAULTS_FILE = 'config/task-builds.json';

export const taskBuildDefaultsSchema = z
  .object({
    $schema: z.string().optional(),
    defaultBaseImage: z
      .string()
      .refine((reference) => !!parseImageReference(reference).tag && !parseImageReference(reference).registry, 'an image NAME:VERSION without a registry, e.g. "openclaw-base:1.0.0"')
      .describe('image every task build starts FROM; the registry comes from IMAGE_REGISTRY / nx.json'),
  })
  .strict();

export type TaskBuildDefaults = z.infer<typeof taskBuildDefaultsSchema>;

/** Parses the defaults file's text; `file` names it in the one-line error. */
export function parseTaskBuildDefaults(text: string, file = TASK_BUILD_DEFAULTS_FILE): TaskBuildDefaults {
  const data = parseJsonText(text, file);
  const result = taskBuildDefaultsSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UserError(`${file}: field "${issue.path.join('.') || '(top level)'}": ${issue.message}; fix the file.`);
  }
  return result.data;
}

/** The defaults of a workspace, or undefined when it has no such file. */
export function readTaskBuildDefaults(workspaceRoot: string): TaskBuildDefaults | undefined {
  const file = join(workspaceRoot, TASK_BUILD_DEFAULTS_FILE);
  return existsSync(file) ? parseTaskBuildDefaults(readFileSync(file, 'utf8')) : undefined;
}
