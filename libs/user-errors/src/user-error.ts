/**
 * An error the user caused and can fix. Its message is one line that names
 * what is wrong (file, field, value) and how to fix it; it is printed as is,
 * never with a stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' ').trim());
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof Error && error.name === 'UserError';
}

/** One line for a user error; the full stack for a bug, so it can be reported. */
export function describeError(error: unknown): string {
  if (isUserError(error)) return error.message;
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}
