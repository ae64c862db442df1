import type Docker from 'dockerode';
import { buildImage, inspectLocalImage, pullImage } from '@taskforge/engine';
import { dockerfileBuild, ensureImage, movedPackages, PACKAGE_RECORD_PATH, readPackageRecord, type ImageTask } from '@taskforge/image-build';
import { buildOrder } from '@taskforge/image-model';
import { latestRelease, releaseTagName } from '@taskforge/release';
import { UserError } from '@taskforge/user-errors';
import type { PackageRefresh } from '../package-refresh-file';
import { projectReleaseTagFormat } from './release-config';
import { listTags } from '@taskforge/git';
import { readNxJson } from 'nx/src/config/nx-json';
import { imageSbom } from '@taskforge/sbom';
import { findingsFixedBy, imageVulnerabilityVerdict, loadVulnerabilityDatabase, type VulnerabilityDatabaseSettings } from '@taskforge/vulnerability-scan';
import { vulnerabilityDatabaseOf } from './supply-chain';

/** Prints which findings of the released image the refreshed build no longer has (and what still stops a release). */
async function printFindingsFixed(docker: Docker, task: ImageTask, settings: VulnerabilityDatabaseSettings, released: string, candidate: string): Promise<void> {
  const image = task.workspace.projects.get(task.project)!;
  const database = await loadVulnerabilityDatabase(settings, task.workspaceRoot);
  const verdictOf = async (reference: string) =>
    imageVulnerabilityVerdict(await imageSbom(docker, reference), { settings, database, workspaceRoot: task.workspaceRoot, image: image.definition.name, project: image.project });
  const before = await verdictOf(released);
  const after = await verdictOf(candidate);
  const fixed = findingsFixedBy([...before.findings, ...before.waived], [...after.findings, ...after.waived]);
  const where = `${settings.path ?? settings.url} of ${before.database.date}`;
  if (fixed.length === 0) task.print(`the refresh fixes no finding of ${released} in ${where}`);
  else {
    task.print(`the refresh fixes ${fixed.length} finding${fixed.length === 1 ? '' : 's'} of ${released} (${where}):`);
    for (const finding of fixed) task.print(`  ${finding.package} ${finding.installedVersion}: ${finding.id} (${finding.severity}), fixed in ${finding.fixedVersion ?? 'the refreshed packages'}`);
  }
  task.print(after.passed ? `the refreshed build passes the vulnerability gate (${after.failOn})` : `the refreshed build still has ${after.blocking.length} finding(s) that stop a release: ${after.blockingLines.join('; ')}`);
}

/**
 * Builds the image again without any cache, so apt resolves every Debian
 * package anew, and compares the versions with its last release: what a
 * security refresh would ship. The build is a candidate only; publishing
 * the refresh builds it again, for the released version.
 */
export async function refreshPackages(docker: Docker, task: ImageTask): Promise<PackageRefresh> {
  const image = task.workspace.projects.get(task.project)!;
  const name = image.definition.name;
  const tagFormat = await projectReleaseTagFormat(task.workspaceRoot, image.project);
  const last = latestRelease(tagFormat, listTags(task.workspaceRoot));
  if (!last) throw new UserError(`${image.project} has no release yet (no ${releaseTagName(tagFormat, '*')} tag): release it first, then refresh it.`);
  if (!image.dockerfile) throw new UserError(`${image.project} is built from a root filesystem recipe, which resolves its packages on every build; release it with \`npx nx release patch --projects=${image.project}\`.`);

  const releasedReference = `${task.registry}/${name}:${last}`;
  let beforeReference = `${name}:${last}`;
  let before = (await inspectLocalImage(docker, beforeReference)) ? await readPackageRecord(docker, beforeReference) : undefined;
  if (!before) {
    beforeReference = releasedReference;
    task.print(`reading the package record of ${releasedReference}`);
    if (!(await pullImage(docker, releasedReference))) throw new UserError(`${releasedReference} is not in the registry: publish ${last} first (\`npx nx release publish --projects=${image.project}\`).`);
    before = await readPackageRecord(docker, releasedReference);
  }
  if (!before) throw new UserError(`${name}:${last} records no Debian package versions (${PACKAGE_RECORD_PATH}); only images that install packages with install-debian-packages can be refreshed.`);

  for (const parent of buildOrder(task.workspace, image.project).slice(0, -1)) {
    await ensureImage(docker, { ...task, project: parent.project });
  }
  const candidate = `${name}:package-refresh`;
  task.print(`building ${candidate} without cache`);
  await buildImage(docker, { ...dockerfileBuild(task.workspaceRoot, image), tags: [candidate], labels: {}, noCache: true, print: task.print });
  const after = (await readPackageRecord(docker, candidate)) ?? {};
  const settings = vulnerabilityDatabaseOf(readNxJson(task.workspaceRoot));
  if (settings) await printFindingsFixed(docker, task, settings, beforeReference, candidate);
  return { project: image.project, releasedVersion: last, moved: movedPackages(before, after), checkedAt: new Date().toISOString() };
}
