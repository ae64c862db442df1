import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseJsonText, UserError } from '@taskforge/user-errors';

/** The file next to a Dockerfile (or a root filesystem recipe) that makes a folder an image project. */
export const IMAGE_DEFINITION_FILE = 'image.json';

// Docker's reference grammar for a repository path without a registry host.
const IMAGE_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** Where test-image copies `checks.testFiles` into the container. */
export const IMAGE_TESTS_DIR = '/opt/image-tests';

/** The test command of an image with `checks.testFiles` and no `checks.command`: the standard library's unittest over those files. */
export const STANDARD_TEST_COMMAND = ['python3', '-m', 'unittest', 'discover', '-s', IMAGE_TESTS_DIR, '-t', IMAGE_TESTS_DIR, '-v'];

const imageChecks = z
  .object({
    user: z.number().int().nonnegative().describe('UID the image must run as').optional(),
    workspace: z.string().startsWith('/').describe('directory that must exist and be writable by `user`').optional(),
    command: z.array(z.string()).min(1).describe("the image's own test command, run inside it; with `testFiles` and no command, `python3 -m unittest discover` over them").optional(),
    testFiles: z
      .string()
      .regex(/^[^/.][^]*$/, 'a folder relative to the image project, e.g. "tests"')
      .describe('folder copied into the container at /opt/image-tests before the test command runs; not part of the image')
      .optional(),
  })
  .strict();

const rootfsRecipe = z
  .object({
    suite: z.string().regex(/^[a-z]+$/, 'a Debian suite name such as "bookworm"'),
    variant: z.enum(['essential', 'apt', 'minbase']).default('apt'),
    packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'a Debian package name')).min(1),
    exclude: z.array(z.string().startsWith('/')).default([]).describe('paths dpkg must not install (docs, man pages, locales)'),
    sourceDateEpoch: z.number().int().positive().describe('fixed timestamp that makes the root filesystem reproducible'),
    env: z.record(z.string(), z.string()).default({}),
    cmd: z.array(z.string()).optional(),
    // Optional without a default: a recipe that names none parses as before, so existing content keys stay put.
    aptOptions: z
      .array(z.string().regex(/^[^\n]+$/, 'one apt configuration line such as \'Acquire::Check-Valid-Until "false"\''))
      .optional()
      .describe('apt configuration lines for the build, each passed to mmdebstrap as --aptopt (e.g. `Acquire::Check-Valid-Until "false"` for a suite whose Release file has expired)'),
  })
  .strict();

export const imageDefinitionSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().regex(IMAGE_NAME, 'a lowercase image name such as "openclaw-base"'),
    project: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a lowercase project name such as "agent-base"').optional(),
    description: z.string().min(1),
    dockerfile: z.string().default('Dockerfile'),
    buildArgs: z.record(z.string(), z.string()).default({}),
    rootfs: rootfsRecipe.optional().describe('build the image from Debian packages with mmdebstrap instead of a Dockerfile'),
    checks: imageChecks.default({}),
  })
  .strict();

export type ImageDefinition = z.infer<typeof imageDefinitionSchema>;

/** The command test-image runs inside the image: `checks.command`, else the standard one when there are test files, else none. */
export function imageTestCommand(checks: ImageDefinition['checks']): string[] | undefined {
  return checks.command ?? (checks.testFiles ? STANDARD_TEST_COMMAND : undefined);
}
export type RootfsRecipe = z.infer<typeof rootfsRecipe>;

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const field = issue.path.length ? issue.path.join('.') : '(top level)';
  let value: unknown = data;
  for (const key of issue.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  const got = value === undefined ? 'nothing' : JSON.stringify(value);
  return `field "${field}": ${issue.message} (got ${got})`;
}

/** Validates already-parsed JSON; `file` names the source in the error. */
export function parseImageDefinition(data: unknown, file: string): ImageDefinition {
  const result = imageDefinitionSchema.safeParse(data);
  if (!result.success) {
    const first = result.error.issues[0];
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : '';
    throw new UserError(`${file}: ${describeIssue(first, data)}${more}; see libs/image-model/image-definition.schema.json.`);
  }
  return result.data;
}

/** Validates an image.json's text; `displayPath` names the file in the error. */
export function parseImageDefinitionText(text: string, displayPath: string): ImageDefinition {
  return parseImageDefinition(parseJsonText(text, displayPath), displayPath);
}

export function readImageDefinition(file: string, displayPath = file): ImageDefinition {
  return parseImageDefinitionText(readFileSync(file, 'utf8'), displayPath);
}

export function imageDefinitionJsonSchema(): unknown {
  return z.toJSONSchema(imageDefinitionSchema, { io: 'input' });
}
