import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@taskforge/user-errors';
import { PRIVATE_KEY_FILE_NAME, PUBLIC_KEY_FILE_NAME } from './key-sources';
import { generateSigningKeyPair, keyFingerprint, loadVerificationKey } from './signing-keys';

export interface WrittenKeyPair {
  privateKeyFile: string;
  publicKeyFile: string;
  fingerprint: string;
}

/**
 * Writes a new key pair into `dir`: image-signing.key (PKCS#8 PEM, mode 0600, in a folder only its owner may
 * enter when this creates it) and image-signing.pub. An existing pair is never overwritten: signatures made with
 * it would no longer verify against a new public key.
 */
export function writeSigningKeyPair(dir: string): WrittenKeyPair {
  const privateKeyFile = join(dir, PRIVATE_KEY_FILE_NAME);
  const publicKeyFile = join(dir, PUBLIC_KEY_FILE_NAME);
  for (const file of [privateKeyFile, publicKeyFile]) {
    if (existsSync(file)) throw new UserError(`${file} exists; a new pair would orphan every signature made with it: move it away first, or choose another --out-dir.`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = generateSigningKeyPair();
  // `wx`: fails rather than replace a file that appeared since the check; mode applies on creation only, hence the chmod.
  writeFileSync(privateKeyFile, pair.privateKey, { flag: 'wx', mode: 0o600 });
  chmodSync(privateKeyFile, 0o600);
  writeFileSync(publicKeyFile, pair.publicKey, { flag: 'wx', mode: 0o644 });
  return { privateKeyFile, publicKeyFile, fingerprint: keyFingerprint(loadVerificationKey(pair.publicKey, publicKeyFile).publicKey) };
}
