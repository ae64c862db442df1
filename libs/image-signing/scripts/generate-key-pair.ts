import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultKeyPairDir, REPO_PUBLIC_KEY_FILE, SIGNING_KEY_FILE_VARIABLE, SIGNING_KEY_VARIABLE, writeSigningKeyPair } from '../src';
import { describeError, UserError } from '@taskforge/user-errors';

function outDirOption(): string | undefined {
  try {
    const { values } = parseArgs({ options: { 'out-dir': { type: 'string' }, outDir: { type: 'string' } }, strict: true });
    return values['out-dir'] ?? values.outDir;
  } catch (error) {
    throw new UserError(`${(error as Error).message}; usage: npx nx run image-signing:generate-key-pair [--out-dir=DIR]`);
  }
}

// npx nx run image-signing:generate-key-pair [--out-dir=DIR]: a new ECDSA P-256 pair for image signatures.
try {
  const dir = resolve(outDirOption() ?? defaultKeyPairDir());
  const written = writeSigningKeyPair(dir);
  console.log(`private key ${written.privateKeyFile} (mode 0600): keep it secret; sign with ${SIGNING_KEY_FILE_VARIABLE}=${written.privateKeyFile}, or its content in ${SIGNING_KEY_VARIABLE} (a CI secret)`);
  console.log(`public key  ${written.publicKeyFile} (${written.fingerprint}): commit it as ${REPO_PUBLIC_KEY_FILE}, which verify-image, skopeo's keyPath and \`cosign verify --key\` read`);
} catch (error) {
  console.error(`ERROR: ${describeError(error)}`);
  process.exitCode = 1;
}
