import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultKeyPairDir,
  generateSigningKeyPair,
  loadSigningKey,
  loadVerificationKey,
  REPO_PUBLIC_KEY_FILE,
  signImage,
  signingKeyFromEnvironment,
  signPayload,
  verificationKeyFromEnvironment,
  verifyImage,
  verifyPayload,
  writeSigningKeyPair,
} from '../src';
import { REPO_ROOT } from '@taskforge/testing';

let work: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'signing-keys-'));
});

afterEach(() => rmSync(work, { recursive: true, force: true }));

/** The message of what `fn` throws, which must be a one-line UserError. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect((error as Error).name).toBe('UserError');
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('signing keys', () => {
  it('a generated pair signs and verifies; the public key PEM is what cosign and skopeo read', () => {
    const pair = generateSigningKeyPair();
    expect(pair.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pair.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const signing = loadSigningKey(pair.privateKey, 'generated');
    const verification = loadVerificationKey(pair.publicKey, 'generated.pub');
    expect(verification.fingerprint).toBe(signing.fingerprint);
    const payload = Buffer.from('payload');
    expect(verifyPayload(verification.publicKey, payload, signPayload(signing, payload))).toBe(true);
    expect(verifyPayload(verification.publicKey, Buffer.from('payload!'), signPayload(signing, payload))).toBe(false);
  });

  it('reads a SEC 1 EC key (openssl ecparam -genkey) as well as PKCS#8', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1', privateKeyEncoding: { type: 'sec1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(privateKey).toContain('BEGIN EC PRIVATE KEY');
    expect(loadSigningKey(privateKey, 'sec1.key').fingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
  });

  it('refuses, in one line with the way out, keys it cannot sign or verify with', () => {
    const cosignKey = '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n';
    expect(refusal(() => loadSigningKey(cosignKey, 'cosign.key'))).toBe(
      "cosign.key: cosign's encrypted key format, which this signer does not read; make a pair with `npx nx run image-signing:generate-key-pair` (cosign takes the same key with `cosign import-key-pair --key image-signing.key`).",
    );
    const encrypted = generateKeyPairSync('ec', {
      namedCurve: 'prime256v1',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
    expect(refusal(() => loadSigningKey(encrypted, 'encrypted.key'))).toContain('encrypted.key: a passphrase-protected key; give it unencrypted');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(refusal(() => loadSigningKey(rsa.privateKey, 'rsa.key'))).toBe(
      'rsa.key: a key of type rsa; image signatures use ECDSA P-256 keys (what cosign makes): make a pair with `npx nx run image-signing:generate-key-pair`.',
    );
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(refusal(() => loadVerificationKey(p384.publicKey, 'p384.pub'))).toContain('p384.pub: an EC key on secp384r1');
    expect(refusal(() => loadVerificationKey(generateSigningKeyPair().privateKey, 'config/image-signing.pub'))).toContain('config/image-signing.pub: holds a private key');
    expect(refusal(() => loadSigningKey('not a key', 'IMAGE_SIGNING_KEY'))).toMatch(/^IMAGE_SIGNING_KEY: not a PEM private key \(/);
  });

  it('make no signature or verification with a transparency log, and say so rather than pretend', async () => {
    const key = loadSigningKey(generateSigningKeyPair().privateKey, 'k');
    await expect(signImage('localhost:5000', 'x', `sha256:${'0'.repeat(64)}`, key, { rekorUrl: 'https://rekor.example.test' })).rejects.toThrow(
      'rekorUrl https://rekor.example.test: this tool cannot sign with a transparency log yet (no Rekor client); leave it unset to sign by key alone.',
    );
    await expect(verifyImage('localhost:5000/x:1', loadVerificationKey(generateSigningKeyPair().publicKey, 'k.pub'), { rekorUrl: 'https://rekor.example.test' })).rejects.toThrow(
      'this tool cannot verify with a transparency log yet',
    );
  });
});

describe('where keys come from', () => {
  it('the signing key: IMAGE_SIGNING_KEY holds the PEM, IMAGE_SIGNING_KEY_FILE names a file, never both', () => {
    const pair = generateSigningKeyPair();
    const file = join(work, 'image-signing.key');
    writeFileSync(file, pair.privateKey);
    const env = { XDG_CONFIG_HOME: join(work, 'no-config') };
    expect(signingKeyFromEnvironment({ ...env, IMAGE_SIGNING_KEY: pair.privateKey }).source).toBe('IMAGE_SIGNING_KEY');
    expect(signingKeyFromEnvironment({ ...env, IMAGE_SIGNING_KEY_FILE: file }).source).toBe(`IMAGE_SIGNING_KEY_FILE=${file}`);
    expect(refusal(() => signingKeyFromEnvironment({ ...env, IMAGE_SIGNING_KEY: pair.privateKey, IMAGE_SIGNING_KEY_FILE: file }))).toBe(
      'both IMAGE_SIGNING_KEY and IMAGE_SIGNING_KEY_FILE are set; keep one of them.',
    );
    expect(refusal(() => signingKeyFromEnvironment({ ...env, IMAGE_SIGNING_KEY_FILE: join(work, 'missing.key') }))).toBe(
      `IMAGE_SIGNING_KEY_FILE: cannot read ${join(work, 'missing.key')} (ENOENT); point it at the key file.`,
    );
    expect(refusal(() => signingKeyFromEnvironment(env))).toBe(
      'no image signing key: set IMAGE_SIGNING_KEY_FILE to a PEM key file or IMAGE_SIGNING_KEY to its content (make a pair with `npx nx run image-signing:generate-key-pair`).',
    );
  });

  it('without variables, the signing key generate-key-pair left in the config folder', () => {
    const env = { XDG_CONFIG_HOME: work };
    const written = writeSigningKeyPair(defaultKeyPairDir(env));
    expect(written.privateKeyFile).toBe(join(work, 'taskforge', 'image-signing.key'));
    expect(signingKeyFromEnvironment(env)).toMatchObject({ source: written.privateKeyFile, fingerprint: written.fingerprint });
  });

  it("the public key: IMAGE_SIGNING_PUBLIC_KEY[_FILE], else the repository's config/image-signing.pub", () => {
    const pair = generateSigningKeyPair();
    const root = join(work, 'repo');
    expect(refusal(() => verificationKeyFromEnvironment(root, {}))).toBe(
      'no public key to verify image signatures with: commit the signing key pair\'s image-signing.pub as config/image-signing.pub, or set IMAGE_SIGNING_PUBLIC_KEY_FILE (`npx nx run image-signing:generate-key-pair` makes a pair).',
    );
    mkdirSync(join(root, 'config'), { recursive: true });
    writeFileSync(join(root, REPO_PUBLIC_KEY_FILE), pair.publicKey);
    expect(verificationKeyFromEnvironment(root, {}).source).toBe('config/image-signing.pub');
    const elsewhere = join(work, 'other.pub');
    writeFileSync(elsewhere, generateSigningKeyPair().publicKey);
    expect(verificationKeyFromEnvironment(root, { IMAGE_SIGNING_PUBLIC_KEY_FILE: elsewhere }).source).toBe(`IMAGE_SIGNING_PUBLIC_KEY_FILE=${elsewhere}`);
    expect(verificationKeyFromEnvironment(root, { IMAGE_SIGNING_PUBLIC_KEY: pair.publicKey }).source).toBe('IMAGE_SIGNING_PUBLIC_KEY');
  });
});

describe('generate-key-pair', () => {
  it('writes image-signing.key (0600) and image-signing.pub, a pair, and never overwrites one', () => {
    const dir = join(work, 'keys');
    const written = writeSigningKeyPair(dir);
    expect(statSync(written.privateKeyFile).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const signing = loadSigningKey(readFileSync(written.privateKeyFile, 'utf8'), written.privateKeyFile);
    expect(loadVerificationKey(readFileSync(written.publicKeyFile, 'utf8'), written.publicKeyFile).fingerprint).toBe(signing.fingerprint);
    expect(refusal(() => writeSigningKeyPair(dir))).toBe(
      `${written.privateKeyFile} exists; a new pair would orphan every signature made with it: move it away first, or choose another --out-dir.`,
    );
  });

  it('as a command: prints where the pair went and what to do with each half', () => {
    const dir = join(work, 'cli');
    const run = spawnSync('npx', ['tsx', 'libs/image-signing/scripts/generate-key-pair.ts', `--out-dir=${dir}`], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`private key ${join(dir, 'image-signing.key')} (mode 0600): keep it secret`);
    expect(run.stdout).toContain(`public key  ${join(dir, 'image-signing.pub')} (sha256:`);
    expect(run.stdout).toContain('commit it as config/image-signing.pub');
    const again = spawnSync('npx', ['tsx', 'libs/image-signing/scripts/generate-key-pair.ts', `--out-dir=${dir}`], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stderr.trim()).toBe(`ERROR: ${join(dir, 'image-signing.key')} exists; a new pair would orphan every signature made with it: move it away first, or choose another --out-dir.`);
  }, 60_000);
});
