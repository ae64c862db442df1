import { engineClient, inspectLocalImage, pushAs } from '@taskforge/engine';
import { generateSigningKeyPair, loadSigningKey, signImage } from '@taskforge/image-signing';
import { parseImageReference } from '@taskforge/image-model';
import { attachSbom, imageSbom } from '@taskforge/sbom';
import { REPO_ROOT, repoImage, startScratchRegistry } from '@taskforge/testing';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './measure';
import type { ResultsTable } from './results-table';
import { benchVulnerabilityScan } from './vulnerability-scan-bench';

const s = (seconds: number) => `${seconds.toFixed(2)} s`;
const ROUNDS = 3;
const REGISTRY_PORT = 5351;

/** The built variant with the most bytes: the scan's worst case. */
async function largestVariant(): Promise<string> {
  const docker = engineClient();
  let largest: { reference: string; size: number } | undefined;
  for (const dir of readdirSync(join(REPO_ROOT, 'images/variants')).sort()) {
    const project = (JSON.parse(readFileSync(join(REPO_ROOT, 'images/variants', dir, 'image.json'), 'utf8')) as { project: string }).project;
    const reference = await repoImage(project);
    const size = (await inspectLocalImage(docker, reference))?.size ?? 0;
    if (!largest || size > largest.size) largest = { reference, size };
  }
  return largest!.reference;
}

/**
 * What publish adds per image: the SBOM read from the pushed image, attached
 * as `sha256-<hex>.sbom`, and a cosign-format signature as `sha256-<hex>.sig`,
 * into a registry of the bench's own where the image was pushed first (not
 * timed). Each round signs with a new key, so no round finds its signature
 * there already; the first round of the process also compiles the CycloneDX
 * schema, as a publish run does once. Then the vulnerability scan of the
 * largest variant against 50 000 records.
 */
export async function benchSupplyChain(table: ResultsTable, log: (line: string) => void): Promise<void> {
  const docker = engineClient();
  const registry = await startScratchRegistry(REGISTRY_PORT);
  const pushedTags: string[] = [];
  try {
    for (const [project, target] of [['agent-base', 5], ['agent-data-science', 20]] as const) {
      const reference = await repoImage(project);
      const { repository, tag } = parseImageReference(reference);
      const pushedReference = `${registry.address}/${repository}:${tag}`;
      log(`supply chain: pushing ${reference} to ${registry.address} (not timed)`);
      const { digest } = await pushAs(docker, reference, pushedReference);
      pushedTags.push(pushedReference);
      const rounds: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const key = loadSigningKey(generateSigningKeyPair().privateKey, 'the bench key pair');
        const started = process.hrtime.bigint();
        const sbom = await imageSbom(docker, pushedReference, { repository: `${registry.address}/${repository}`, digest });
        await attachSbom(registry.address, repository, digest, JSON.stringify(sbom));
        await signImage(registry.address, repository, digest, key);
        rounds.push(Number(process.hrtime.bigint() - started) / 1e9);
        log(`supply chain: ${project} round ${round + 1}: ${s(rounds[round])} (${sbom.components?.length ?? 0} components)`);
      }
      const seconds = median(rounds);
      table.ratio(
        `SBOM + sign + attach, ${reference} (median of ${ROUNDS}; first round ${s(rounds[0])})`,
        s(seconds),
        seconds,
        `<= ${target} s`,
        seconds <= target,
      );
    }
  } finally {
    for (const pushed of pushedTags) await docker.getImage(pushed).remove().catch(() => undefined);
    await registry.remove();
  }

  const variant = await largestVariant();
  log(`supply chain: vulnerability scan of the largest variant, ${variant}`);
  await benchVulnerabilityScan(table, log, { imageReference: variant });
}
