import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commit, errorLines, fixtureSigningEnv, fixtureSigningKey, release, RELEASE_IMAGES, tagDigest, tags, withReleaseFixture } from '@taskforge/testing';

// A dry run, a refused release, then two publishes, each a few seconds alone; a busy 2-core machine makes them slower.
jest.setTimeout(600_000);

/** The fingerprint publish and verify-image print: `sha256:` and 16 hex digits of the public key's SubjectPublicKeyInfo hash. */
function fingerprint(publicKeyPem: string): string {
  return `sha256:${createHash('sha256').update(createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16)}`;
}

describe('nx release signs what it publishes', () => {
  it('the dry run names the key; without a key nothing is pushed; with it every X.Y.Z digest gets a signature and an SBOM that verify-image accepts, and a second publish adds nothing', () =>
    withReleaseFixture({ registryPort: 5341 }, async ({ fixture, registry, repository, digest }) => {
      // No key anywhere: neither variable, and a config folder of its own so a developer's ~/.config/taskforge key does not count.
      const emptyConfig = mkdtempSync(join(tmpdir(), 'no-signing-key-'));
      const noKey = { IMAGE_SIGNING_KEY: undefined, IMAGE_SIGNING_KEY_FILE: undefined, XDG_CONFIG_HOME: emptyConfig };
      try {
        commit(fixture, 'feat(fx-base): base v2', { 'images/base/base.txt': 'base v2\n' });

        const dry = await release(fixture, ['--dry-run', '--yes']);
        expect(dry.code).toBe(0);
        expect(dry.output).toContain(`[fx-base] dry run: `);
        expect(dry.output).toContain(`sign the X.Y.Z digest with the key from IMAGE_SIGNING_KEY (public key ${fingerprint(fixtureSigningKey().publicKey)})`);
        const dryWithoutKey = await release(fixture, ['--dry-run', '--yes'], noKey);
        expect(dryWithoutKey.code).toBe(0);
        expect(dryWithoutKey.output).toContain('sign nothing: no signing key is set');

        const refused = await release(fixture, ['--yes'], noKey);
        expect(refused.code).not.toBe(0);
        const lines = errorLines(refused).filter((line) => line.includes('ERROR:'));
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) {
          expect(line).toMatch(/ERROR: no image signing key: set IMAGE_SIGNING_KEY_FILE .* or IMAGE_SIGNING_KEY .*npx nx run image-signing:generate-key-pair/);
        }
        expect(await registry.contents()).toEqual({});
        // Git has the release (commit and tags), as for any failed publish: the next `nx release publish` finishes it.
        expect(tags(fixture)).toEqual(['fx-a-v1.0.0', 'fx-b-v1.0.0', 'fx-base-v1.0.0']);

        const published = await release(fixture, ['publish']);
        expect(published.code).toBe(0);
        expect(published.output).toContain('[fx-base] no vulnerabilityDatabase in nx.json: no vulnerability gate ran, and no verdict is attached');
        const signatures: Record<string, string | undefined> = {};
        for (const short of RELEASE_IMAGES) {
          const released = await digest(short, '1.0.0');
          expect(released).toMatch(/^sha256:[0-9a-f]{64}$/);
          const hex = released!.replace('sha256:', 'sha256-');
          signatures[short] = await digest(short, `${hex}.sig`);
          expect(signatures[short]).toMatch(/^sha256:/);
          expect(await digest(short, `${hex}.sbom`)).toMatch(/^sha256:/);
          expect(await digest(short, `${hex}.vuln`)).toBeUndefined();
          expect(await digest(short, 'latest')).toBe(released);
          expect(existsSync(join(fixture.root, `dist/images/fx-${short}/sbom.cdx.json`))).toBe(true);
        }

        const verified = fixture.nx(['run', 'fx-a:verify-image'], fixtureSigningEnv());
        expect(verified.code).toBe(0);
        expect(verified.output).toContain(`${registry.address}/${repository('a')}:1.0.0: signature verified`);

        const again = await release(fixture, ['publish']);
        expect(again.code).toBe(0);
        for (const short of RELEASE_IMAGES) {
          expect(again.output).toContain(`[fx-${short}] already published: ${registry.address}/${repository(short)}:1.0.0`);
          const hex = (await digest(short, '1.0.0'))!.replace('sha256:', 'sha256-');
          expect(await tagDigest(registry.address, repository(short), `${hex}.sig`)).toBe(signatures[short]);
        }
      } finally {
        rmSync(emptyConfig, { recursive: true, force: true });
      }
    }));
});
