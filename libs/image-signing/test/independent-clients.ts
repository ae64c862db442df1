import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Clients nobody here wrote, asked about our signatures: Debian's skopeo (containers/image) reads them from the
 * registry, OpenSSL checks their ECDSA signatures.
 *
 * Debian's skopeo reads sigstore attachments (`sha256-<hex>.sig`) but Debian patched out their verification
 * (golang-github-containers-image 5.23.1-4, signature/policy_eval_sigstore.go: "Debian-local change: sigstore
 * disabled"): its `sigstoreSigned` policy still tells "no signature exists" from "a signature was found", and a
 * sigstore-enabled build gives its full verdict.
 */

/** skopeo's verdict under a `sigstoreSigned` policy, in words a test compares. */
export type PolicyVerdict = 'accepted' | 'no signature' | 'signature found, verification disabled in this build' | 'made by another key' | 'for another digest' | string;

export const DISABLED_BY_DEBIAN: PolicyVerdict = 'signature found, verification disabled in this build';

/** One signature as skopeo extracted it (c/image's `dir:` format: `\0sigstore-json\n` and JSON). */
export interface ExtractedSignature {
  mimeType: string;
  payload: Buffer;
  annotations: Record<string, string>;
}

export interface SkopeoCopy {
  ok: boolean;
  stderr: string;
  /** sha256 of the manifest skopeo copied: the digest it saw. */
  manifestDigest?: string;
  signatures: ExtractedSignature[];
}

export class Skopeo {
  constructor(
    private readonly work: string,
    private readonly registry: string,
  ) {}

  /** `skopeo copy docker://reference dir:...` under `requirement` for the scratch registry, signatures read from sigstore attachments. */
  copy(reference: string, requirement: object): SkopeoCopy {
    const dir = mkdtempSync(join(this.work, 'skopeo-'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [this.registry]: [requirement] } } }));
    mkdirSync(join(dir, 'registries.d'));
    writeFileSync(join(dir, 'registries.d', 'scratch.yaml'), `docker:\n  ${this.registry}:\n    use-sigstore-attachments: true\n`);
    const copy = join(dir, 'copy');
    const result = spawnSync(
      'skopeo',
      ['--policy', join(dir, 'policy.json'), '--registries.d', join(dir, 'registries.d'), 'copy', '--src-tls-verify=false', `docker://${reference}`, `dir:${copy}`],
      { encoding: 'utf8', env: { ...process.env, HOME: dir } },
    );
    if (result.status !== 0) return { ok: false, stderr: result.stderr, signatures: [] };
    const files = readdirSync(copy)
      .filter((file) => /^signature-\d+$/.test(file))
      .sort((a, b) => Number(a.slice(10)) - Number(b.slice(10)));
    const signatures = files.map((file) => {
      const blob = readFileSync(join(copy, file));
      const prefix = Buffer.from('\0sigstore-json\n');
      if (!blob.subarray(0, prefix.length).equals(prefix)) throw new Error(`${file}: not a sigstore signature as c/image stores one`);
      const json = JSON.parse(blob.subarray(prefix.length).toString('utf8')) as { mimeType: string; payload: string; annotations: Record<string, string> };
      return { mimeType: json.mimeType, payload: Buffer.from(json.payload, 'base64'), annotations: json.annotations };
    });
    const manifestDigest = `sha256:${createHash('sha256').update(readFileSync(join(copy, 'manifest.json'))).digest('hex')}`;
    return { ok: true, stderr: result.stderr, manifestDigest, signatures };
  }

  /** What skopeo extracts when the policy accepts anything: the image's signatures as it found them. */
  extract(reference: string): SkopeoCopy {
    return this.copy(reference, { type: 'insecureAcceptAnything' });
  }

  /** skopeo's verdict under `sigstoreSigned` with `keyPath` and cosign's identity (the repository, any tag). */
  verdict(reference: string, publicKeyFile: string): PolicyVerdict {
    const copy = this.copy(reference, { type: 'sigstoreSigned', keyPath: publicKeyFile, signedIdentity: { type: 'matchRepository' } });
    if (copy.ok) return 'accepted';
    if (copy.stderr.includes('A signature was required, but no signature exists')) return 'no signature';
    if (copy.stderr.includes('Debian-local change: sigstore disabled')) return DISABLED_BY_DEBIAN;
    if (copy.stderr.includes('cryptographic signature verification failed')) return 'made by another key';
    if (/Signature for digest \S+ does not match/.test(copy.stderr)) return 'for another digest';
    return copy.stderr.trim();
  }
}

/** `openssl dgst -sha256 -verify KEY -signature SIG PAYLOAD`: whether OpenSSL finds the base64 DER signature valid. */
export function opensslVerifies(work: string, publicKeyFile: string, payload: Buffer, base64Signature: string): boolean {
  const dir = mkdtempSync(join(work, 'openssl-'));
  writeFileSync(join(dir, 'payload'), payload);
  writeFileSync(join(dir, 'signature.der'), Buffer.from(base64Signature, 'base64'));
  const result = spawnSync('openssl', ['dgst', '-sha256', '-verify', publicKeyFile, '-signature', join(dir, 'signature.der'), join(dir, 'payload')], { encoding: 'utf8' });
  if (result.status === 0 && result.stdout.trim() === 'Verified OK') return true;
  if (result.status === 1 && result.stdout.trim() === 'Verification failure') return false;
  throw new Error(`openssl dgst failed: ${result.stdout}${result.stderr}`);
}
