import { UserError } from './user-error';

/** JSON.parse of a file's text, failing with one line that names the file, the parser's complaint and `fix`. */
export function parseJsonText(text: string, displayPath: string, fix = 'fix the syntax'): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${displayPath}: not valid JSON (${(error as Error).message}); ${fix}.`);
  }
}
