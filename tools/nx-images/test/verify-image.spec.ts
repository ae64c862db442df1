import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushArtifact } from '@taskforge/engine';
import { generateSigningKeyPair, loadSigningKey, signImage } from '@taskforge/image-signing';
import { REPO_ROOT, runNx, startScratchRegistry, type ScratchRegistry } from '@taskforge/testing';

// `nx run <image>:verify-image` on this repository's root image against a registry of the test's own: the
// default reference (NAME:VERSION in --registry), --reference as a tag or a digest, the key from the environment,
// a refusal as one line (the messages themselves are libs/image-signing's tests).
const PORT = 5306;
const PROJECT = 'python-runtime';
const NAME = 'openclaw-python';

let registry: ScratchRegistry;
let work: string;
let publicKeyFile: string;
let signedDigest: string;

/** A small manifest standing for the image: verify-image reads only the registry. */
async function pushStandIn(tag: string, content: string): Promise<string> {
  const pushed = await pushArtifact(registry.address, NAME, tag, {
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', data: Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', data: Buffer.from(content) }],
  });
  return pushed.digest;
}

function verifyImageTarget(args: string[], env: NodeJS.ProcessEnv = { IMAGE_SIGNING_PUBLIC_KEY_FILE: publicKeyFile }) {
  return runNx(['run', `${PROJECT}:verify-image`, `--registry=${registry.address}`, ...args], REPO_ROOT, { IMAGE_REGISTRY: '', ...env });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'verify-image-target-'));
  registry = await startScratchRegistry(PORT);
  const pair = generateSigningKeyPair();
  publicKeyFile = join(work, 'image-signing.pub');
  writeFileSync(publicKeyFile, pair.publicKey);
  const version = readFileSync(join(REPO_ROOT, 'images/python-runtime/VERSION'), 'utf8').trim();
  signedDigest = await pushStandIn(version, 'signed');
  await signImage(registry.address, NAME, signedDigest, loadSigningKey(pair.privateKey, 'test key'));
  await pushStandIn('unsigned', 'unsigned');
}, 60_000);

afterAll(async () => {
  await registry?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('verify-image', () => {
  it('verifies NAME:VERSION in the registry by default and prints the verified digest', () => {
    const result = verifyImageTarget([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`\\[${PROJECT}\\] ${registry.address}/${NAME}:\\d+\\.\\d+\\.\\d+: signature verified with IMAGE_SIGNING_PUBLIC_KEY_FILE=${publicKeyFile} \\(sha256:[0-9a-f]{16}\\)`));
    expect(result.stdout).toContain(`[${PROJECT}] digest ${signedDigest}`);
  }, 120_000);

  it('takes --reference as a digest; an unsigned tag fails with one line', () => {
    const byDigest = verifyImageTarget([`--reference=${signedDigest}`]);
    expect(byDigest.code).toBe(0);
    expect(byDigest.stdout).toContain(`${registry.address}/${NAME}@${signedDigest}: signature verified`);

    const unsigned = verifyImageTarget(['--reference=unsigned']);
    expect(unsigned.code).not.toBe(0);
    const errors = unsigned.output.split('\n').filter((line) => line.includes('ERROR:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^\\[${PROJECT}\\] ERROR: ${registry.address}/${NAME}:unsigned points to sha256:[0-9a-f]{64}, which has no signature \\(no `));
  }, 120_000);
});
