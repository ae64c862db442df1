import type Docker from 'dockerode';
import { buildImage, inspectLocalImage, pullImage } from '@taskforge/engine';
import { dockerfileBuild, ensureImage, movedPackages, PACKAGE_RECORD_PATH, readPackageRecord, type ImageTask } from '@taskforge/image-build';
import { buildOrder } from '@taskforge/image-model';
import { latestRelease } from '@taskforge/release';
import { UserError } from '@taskforge/user-errors';
import type { PackageRefresh } from '../package-refresh-file';
import { listTags } from '@taskforge/git';

/**
 * Builds the image again without any cache, so apt resolves every Debian
 * package anew, and compares the versions with its last release: what a
 * security refresh would ship. The build is a candidate only; publishing
 * the refresh builds it again, for the released version.
 */
export async function refreshPackages(docker: Docker, task: ImageTask): Promise<PackageRefresh> {
  const image = task.workspace.projects.get(task.project)!;
  const name = image.definition.name;
  const last = latestRelease(image.project, listTags(task.workspaceRoot));
  if (!last) throw new UserError(`${image.project} has no release yet (no ${image.project}-v* tag): release it first, then refresh it.`);
  if (!image.dockerfile) throw new UserError(`${image.project} is built from a root filesystem recipe, which resolves its packages on every build; release it with \`npx nx release patch --projects=${image.project}\`.`);

  const releasedReference = `${task.registry}/${name}:${last}`;
  let before = (await inspectLocalImage(docker, `${name}:${last}`)) ? await readPackageRecord(docker, `${name}:${last}`) : undefined;
  if (!before) {
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
  return { project: image.project, releasedVersion: last, moved: movedPackages(before, after), checkedAt: new Date().toISOString() };
}
