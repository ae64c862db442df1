import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { UserError } from '@taskforge/user-errors';

/** A private key to sign with, and where it came from (for messages; never its content). */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** `IMAGE_SIGNING_KEY`, a file path, ... */
  source: string;
  fingerprint: string;
}

/** A public key signatures are checked against. */
export interface VerificationKey {
  publicKey: KeyObject;
  source: string;
  fingerprint: string;
}

export interface KeyPairPem {
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), unencrypted: keep it in a secret store. */
  privateKey: string;
  /** SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`): what `cosign verify --key` and skopeo's `keyPath` read. */
  publicKey: string;
}

/** The only key kind this signer makes and reads: what cosign generates, and what every cosign-format verifier checks. */
const CURVE = 'prime256v1';
const FIX = 'make a pair with `npx nx run image-signing:generate-key-pair`';

/** `sha256:` and the first 16 hex digits of the hash of the key's SubjectPublicKeyInfo: which key, in messages. */
export function keyFingerprint(publicKey: KeyObject): string {
  return `sha256:${createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16)}`;
}

function assertP256(key: KeyObject, source: string): void {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== CURVE) {
    const kind = key.asymmetricKeyType === 'ec' ? `an EC key on ${curve}` : `a key of type ${key.asymmetricKeyType ?? 'unknown'}`;
    throw new UserError(`${source}: ${kind}; image signatures use ECDSA P-256 keys (what cosign makes): ${FIX}.`);
  }
}

/** A new ECDSA P-256 key pair as PEM. */
export function generateSigningKeyPair(): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: CURVE,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey };
}

/**
 * Reads an ECDSA P-256 private key from PEM: PKCS#8 (`PRIVATE KEY`) or SEC 1 (`EC PRIVATE KEY`). cosign's own
 * `ENCRYPTED SIGSTORE PRIVATE KEY` and passphrase-protected PKCS#8 are refused with the way out.
 */
export function loadSigningKey(pem: string, source: string): SigningKey {
  if (pem.includes('ENCRYPTED SIGSTORE PRIVATE KEY') || pem.includes('ENCRYPTED COSIGN PRIVATE KEY')) {
    throw new UserError(`${source}: cosign's encrypted key format, which this signer does not read; ${FIX} (cosign takes the same key with \`cosign import-key-pair --key image-signing.key\`).`);
  }
  if (pem.includes('ENCRYPTED PRIVATE KEY')) {
    throw new UserError(`${source}: a passphrase-protected key; give it unencrypted (\`openssl pkey -in encrypted.key -out image-signing.key\`) from a secret store.`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new UserError(`${source}: not a PEM private key (${(error as Error).message}); ${FIX}.`);
  }
  assertP256(privateKey, source);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, source, fingerprint: keyFingerprint(publicKey) };
}

/** Reads a public key from PEM (`PUBLIC KEY`). A private key here is refused: it would be published with the public one. */
export function loadVerificationKey(pem: string, source: string): VerificationKey {
  if (pem.includes('PRIVATE KEY')) {
    throw new UserError(`${source}: holds a private key; give the public key (image-signing.pub, or \`openssl pkey -in image-signing.key -pubout\`).`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new UserError(`${source}: not a PEM public key (${(error as Error).message}); give the image-signing.pub of the signing key pair.`);
  }
  assertP256(publicKey, source);
  return { publicKey, source, fingerprint: keyFingerprint(publicKey) };
}

/** ECDSA with SHA-256 over the bytes, ASN.1 DER encoded: what cosign puts (in base64) into the signature annotation. */
export function signPayload(key: SigningKey, payload: Buffer): Buffer {
  return sign('sha256', payload, { key: key.privateKey, dsaEncoding: 'der' });
}

/** Whether `signature` (DER) is the key's signature over exactly these bytes. */
export function verifyPayload(publicKey: KeyObject, payload: Buffer, signature: Buffer): boolean {
  try {
    return verify('sha256', payload, { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    // A signature that is not DER at all is as wrong as one made by another key.
    return false;
  }
}
