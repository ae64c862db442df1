import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@taskforge/user-errors';
import { loadSigningKey, loadVerificationKey, type SigningKey, type VerificationKey } from './signing-keys';

/** The signing key's PEM itself (a CI secret). */
export const SIGNING_KEY_VARIABLE = 'IMAGE_SIGNING_KEY';
/** A file holding the signing key's PEM. */
export const SIGNING_KEY_FILE_VARIABLE = 'IMAGE_SIGNING_KEY_FILE';
export const PUBLIC_KEY_VARIABLE = 'IMAGE_SIGNING_PUBLIC_KEY';
export const PUBLIC_KEY_FILE_VARIABLE = 'IMAGE_SIGNING_PUBLIC_KEY_FILE';
/** The public key the repository trusts, committed beside its other settings; verify-image reads it by default. */
export const REPO_PUBLIC_KEY_FILE = 'config/image-signing.pub';
export const PRIVATE_KEY_FILE_NAME = 'image-signing.key';
export const PUBLIC_KEY_FILE_NAME = 'image-signing.pub';

type Environment = Record<string, string | undefined>;

/** Where generate-key-pair writes unless told otherwise: the user's config folder, outside every checkout. */
export function defaultKeyPairDir(env: Environment = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'taskforge');
}

function readKeyFile(file: string, named: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`${named}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); point it at the key file.`);
  }
  if (!text.trim()) throw new UserError(`${named}: ${file} is empty; point it at the key file.`);
  return text;
}

/** PEM from `VARIABLE` or from the file `VARIABLE_FILE` names, never both; undefined when neither is set. */
function pemFromEnvironment(env: Environment, variable: string, fileVariable: string): { pem: string; source: string } | undefined {
  const inline = env[variable];
  const file = env[fileVariable];
  if (inline && file) throw new UserError(`both ${variable} and ${fileVariable} are set; keep one of them.`);
  if (inline) return { pem: inline, source: variable };
  if (file) return { pem: readKeyFile(file, fileVariable), source: `${fileVariable}=${file}` };
  return undefined;
}

/**
 * The key to sign with: `IMAGE_SIGNING_KEY` (the PEM, e.g. a CI secret) or `IMAGE_SIGNING_KEY_FILE`, else the
 * key generate-key-pair wrote to ~/.config/taskforge/image-signing.key. None of them is a one-line UserError.
 */
export function signingKeyFromEnvironment(env: Environment = process.env): SigningKey {
  const given = pemFromEnvironment(env, SIGNING_KEY_VARIABLE, SIGNING_KEY_FILE_VARIABLE);
  if (given) return loadSigningKey(given.pem, given.source);
  const local = join(defaultKeyPairDir(env), PRIVATE_KEY_FILE_NAME);
  if (existsSync(local)) return loadSigningKey(readKeyFile(local, local), local);
  throw new UserError(
    `no image signing key: set ${SIGNING_KEY_FILE_VARIABLE} to a PEM key file or ${SIGNING_KEY_VARIABLE} to its content (make a pair with \`npx nx run image-signing:generate-key-pair\`).`,
  );
}

/**
 * The key signatures must verify against: `IMAGE_SIGNING_PUBLIC_KEY` (PEM) or `IMAGE_SIGNING_PUBLIC_KEY_FILE`,
 * else the repository's config/image-signing.pub. None of them is a one-line UserError.
 */
export function verificationKeyFromEnvironment(workspaceRoot: string, env: Environment = process.env): VerificationKey {
  const given = pemFromEnvironment(env, PUBLIC_KEY_VARIABLE, PUBLIC_KEY_FILE_VARIABLE);
  if (given) return loadVerificationKey(given.pem, given.source);
  const repoFile = join(workspaceRoot, REPO_PUBLIC_KEY_FILE);
  if (existsSync(repoFile)) return loadVerificationKey(readKeyFile(repoFile, REPO_PUBLIC_KEY_FILE), REPO_PUBLIC_KEY_FILE);
  throw new UserError(
    `no public key to verify image signatures with: commit the signing key pair's image-signing.pub as ${REPO_PUBLIC_KEY_FILE}, or set ${PUBLIC_KEY_FILE_VARIABLE} (\`npx nx run image-signing:generate-key-pair\` makes a pair).`,
  );
}
