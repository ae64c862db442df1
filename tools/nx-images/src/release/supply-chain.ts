import { artifactTag, pushArtifact, resolveManifest } from '@taskforge/engine';
import { imageSettingsOf, projectLine, type ImageTask } from '@taskforge/image-build';
import { SIGNING_KEY_FILE_VARIABLE, SIGNING_KEY_VARIABLE, signingKeyFromEnvironment, type SigningKey } from '@taskforge/image-signing';
import { UserError } from '@taskforge/user-errors';
import {
  imageVulnerabilityVerdict,
  parseVulnerabilityDatabaseSettings,
  VERDICT_MEDIA_TYPE,
  type VulnerabilityDatabaseSettings,
  type VulnerabilityVerdict,
} from '@taskforge/vulnerability-scan';
import { writeProjectOutput } from '../project-output-file';

/** What publish needs beyond the image: the key that signs every pushed digest and the gate's database, when nx.json names one. */
export interface SupplyChain {
  signingKey: SigningKey;
  vulnerabilityDatabase?: VulnerabilityDatabaseSettings;
}

/** The artifact tag suffix of the vulnerability verdict (cosign's tag scheme, beside `.sig` and `.sbom`). */
export const VERDICT_TAG_SUFFIX = 'vuln';

/** nx.json's `vulnerabilityDatabase` option of the plugin, validated; undefined when none is configured. */
export function vulnerabilityDatabaseOf(nxJson: unknown): VulnerabilityDatabaseSettings | undefined {
  return parseVulnerabilityDatabaseSettings(imageSettingsOf(nxJson as never)?.vulnerabilityDatabase);
}

/**
 * Everything publish needs before it pushes anything: a release that cannot sign must publish nothing, so a
 * missing or unreadable key fails here, in one line (signingKeyFromEnvironment names the variables and the fix).
 */
export function supplyChainOf(nxJson: unknown, env: NodeJS.ProcessEnv = process.env): SupplyChain {
  return { signingKey: signingKeyFromEnvironment(env), vulnerabilityDatabase: vulnerabilityDatabaseOf(nxJson) };
}

/** For the dry run: which key publish would sign with, or why it would stop. */
export function describeSigningKey(env: NodeJS.ProcessEnv = process.env): string {
  try {
    const key = signingKeyFromEnvironment(env);
    return `sign the X.Y.Z digest with the key from ${key.source} (public key ${key.fingerprint})`;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    // Said, not thrown: the dry run shows the whole plan, and publish itself refuses before any push.
    const unset = !env[SIGNING_KEY_VARIABLE] && !env[SIGNING_KEY_FILE_VARIABLE];
    return `${unset ? 'sign nothing: no signing key is set' : 'sign nothing'} (${error.message}), so publish would stop before pushing anything`;
  }
}

/** For the dry run: what the gate would check. */
export function describeGate(settings: VulnerabilityDatabaseSettings | undefined): string {
  if (!settings) return 'run no vulnerability gate (no vulnerabilityDatabase in nx.json)';
  return `run the vulnerability gate against ${settings.path ?? settings.url} (${settings.format}, ${settings.release}; fixes available at ${settings.failOn} or above stop it, waivers in ${settings.waivers})`;
}

/**
 * The release gate for one image's SBOM: undefined (and a line saying so) when no database is configured;
 * otherwise the verdict, written to dist/images/<project>/vulnerability-verdict.json. A finding with a fix at
 * failOn or above stops the release: one line per finding, then one error line; nothing is pushed.
 */
export async function releaseGate(task: ImageTask, sbom: unknown, settings: VulnerabilityDatabaseSettings | undefined): Promise<VulnerabilityVerdict | undefined> {
  const image = task.workspace.projects.get(task.project)!;
  if (!settings) {
    task.print('no vulnerabilityDatabase in nx.json: no vulnerability gate ran, and no verdict is attached');
    return undefined;
  }
  const verdict = await imageVulnerabilityVerdict(sbom, { settings, workspaceRoot: task.workspaceRoot, image: image.definition.name, project: image.project });
  writeProjectOutput(task.workspaceRoot, image.project, 'vulnerability-verdict.json', verdict);
  const { summary } = verdict;
  if (!verdict.passed) {
    for (const line of verdict.blockingLines) console.error(projectLine(task.project, line));
    throw new UserError(
      `${image.project}: ${summary.blocking} finding${summary.blocking === 1 ? '' : 's'} with a fix at ${verdict.failOn} or above (listed above), so nothing was pushed; ` +
        `rebuild with the fixed packages (\`npx nx run ${image.project}:refresh-packages\`, then \`npx nx release patch --projects=${image.project}\`) or waive them in ${settings.waivers}.`,
    );
  }
  task.print(
    `vulnerability gate passed (fail on ${verdict.failOn}): ${summary.findings} findings not waived, none with a fix at ${verdict.failOn} or above (${summary.withoutFix} without a fix); ${summary.waived} waived; database ${verdict.database.source} of ${verdict.database.date}`,
  );
  return verdict;
}

/** Attaches the verdict to the image digest as `sha256-<hex>.vuln`, its subject the image manifest; a re-run overwrites it. */
export async function attachVerdict(registry: string, repository: string, digest: string, verdict: VulnerabilityVerdict): Promise<string> {
  const subject = await resolveManifest(registry, repository, digest);
  if (!subject) throw new UserError(`${registry}/${repository}@${digest} is not in the registry: push the image before attaching its verdict.`);
  const tag = artifactTag(digest, VERDICT_TAG_SUFFIX);
  const document = { ...verdict, subject: `${registry}/${repository}@${digest}` };
  await pushArtifact(registry, repository, tag, {
    artifactType: VERDICT_MEDIA_TYPE,
    layers: [{ mediaType: VERDICT_MEDIA_TYPE, data: Buffer.from(`${JSON.stringify(document, null, 2)}\n`), annotations: { 'org.opencontainers.image.title': 'vulnerability-verdict.json' } }],
    subject,
  });
  return tag;
}

/** Whether the SBOM (and, with a database, the verdict) are attached to the digest: a finished publish has them. */
export async function hasAttachments(registry: string, repository: string, digest: string, withVerdict: boolean): Promise<boolean> {
  const suffixes = withVerdict ? ['sbom', VERDICT_TAG_SUFFIX] : ['sbom'];
  for (const suffix of suffixes) if (!(await resolveManifest(registry, repository, artifactTag(digest, suffix)))) return false;
  return true;
}
