import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineClient, importRootfs, inspectLocalImage } from '@taskforge/engine';
import type { RootfsRecipe } from '@taskforge/image-model';
import { buildRootfsTarball, mmdebstrapArgs } from '@taskforge/rootfs';

/**
 * Clients nobody here wrote, asked about our signatures: Debian's skopeo (containers/image) reads them from the
 * registry and gives its `sigstoreSigned` policy verdict, OpenSSL checks their ECDSA signatures.
 *
 * The skopeo is Debian 13's (1.18), run in a container of its own Debian root filesystem: Debian 12's skopeo 1.9.3
 * reads sigstore attachments (`sha256-<hex>.sig`) but has their verification patched out
 * (golang-github-containers-image 5.23.1-4, signature/policy_eval_sigstore.go: "Debian-local change: sigstore
 * disabled"), so it accepts no image; Debian 13's verifies, and needs a newer C library than Debian 12's.
 */

/** Debian 13's skopeo in a root filesystem of its own: mmdebstrap, as the repo's root image is built. */
const SKOPEO_ROOTFS: RootfsRecipe = {
  suite: 'trixie',
  variant: 'essential',
  packages: ['skopeo'],
  exclude: ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/locale/*'],
  sourceDateEpoch: 1735689600,
  env: {},
};

/**
 * The engine image holding Debian 13's skopeo, built once per engine (about a minute: mmdebstrap, then
 * `docker import`) and kept under a tag named by its recipe.
 */
export async function upstreamSkopeoImage(print: (line: string) => void): Promise<string> {
  const recipeHash = createHash('sha256').update(JSON.stringify(mmdebstrapArgs(SKOPEO_ROOTFS, 'rootfs.tar'))).digest('hex').slice(0, 12);
  const image = `taskforge-test/skopeo:trixie-${recipeHash}`;
  const docker = engineClient();
  if (await inspectLocalImage(docker, image)) return image;
  const dir = mkdtempSync(join(tmpdir(), 'skopeo-rootfs-'));
  try {
    print(`building ${image} (Debian 13's skopeo, mmdebstrap ${SKOPEO_ROOTFS.suite}; about a minute, once per engine)`);
    await buildRootfsTarball(SKOPEO_ROOTFS, join(dir, 'rootfs.tar'), () => undefined);
    await importRootfs(docker, { tarball: join(dir, 'rootfs.tar'), reference: image, changes: [] });
    return image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** skopeo's verdict under a `sigstoreSigned` policy, in words a test compares. */
export type PolicyVerdict = 'accepted' | 'no signature' | 'made by another key' | 'for another digest' | string;

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
  /** `image`: the engine image whose skopeo runs, on the host's network (the registry is on loopback) with `work` mounted. */
  constructor(
    private readonly work: string,
    private readonly registry: string,
    private readonly image: string,
  ) {}

  /** `skopeo copy docker://reference dir:...` under `requirement` for the scratch registry, signatures read from sigstore attachments. */
  copy(reference: string, requirement: object): SkopeoCopy {
    const dir = mkdtempSync(join(this.work, 'skopeo-'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [this.registry]: [requirement] } } }));
    mkdirSync(join(dir, 'registries.d'));
    writeFileSync(join(dir, 'registries.d', 'scratch.yaml'), `docker:\n  ${this.registry}:\n    use-sigstore-attachments: true\n`);
    const copy = join(dir, 'copy');
    const result = spawnSync(
      'docker',
      ['run', '--rm', '--network=host', `--volume=${this.work}:${this.work}`, '--env=HOME=' + dir, this.image, 'skopeo', '--policy', join(dir, 'policy.json'), '--registries.d', join(dir, 'registries.d'), 'copy', '--src-tls-verify=false', `docker://${reference}`, `dir:${copy}`],
      { encoding: 'utf8' },
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
