import type Docker from 'dockerode';
import { inspectLocalImage, pushAs, registryHasTag, type LocalImage } from '@taskforge/engine';
import { UserError } from '@taskforge/user-errors';
import { imageNames, type ImageTask } from './image-task';

/** The engine's image for the task's current sources; a user error naming the build step when it is missing. */
export async function builtImage(docker: Docker, task: ImageTask): Promise<LocalImage> {
  const { content } = imageNames(task, task.project);
  const local = await inspectLocalImage(docker, content);
  if (!local) throw new UserError(`${content} (${task.project} for the current sources) is not in the engine: run \`npx nx run ${task.project}:build-image\` first.`);
  return local;
}

/**
 * Puts the image of the task's current sources into the registry under its
 * content tag, for other machines to reuse; a tag already there is left as it
 * is (content tags name their content). Returns the registry reference.
 */
export async function shareImage(docker: Docker, task: ImageTask): Promise<string> {
  const local = await builtImage(docker, task);
  const names = imageNames(task, task.project);
  const reference = names.inRegistry(names.contentTag);
  if (await registryHasTag(reference)) {
    task.print(`already shared: ${reference}`);
    return reference;
  }
  const pushed = await pushAs(docker, local.id, reference);
  task.print(`shared ${reference} ${pushed.digest}`);
  return reference;
}

/** Shares the image, then pushes it as NAME:VERSION and NAME:latest; returns the digest the registry stored. */
export async function pushImageVersion(docker: Docker, task: ImageTask): Promise<string> {
  await shareImage(docker, task);
  const local = await builtImage(docker, task);
  const image = task.workspace.projects.get(task.project)!;
  const names = imageNames(task, task.project);
  const digests = new Set<string>();
  for (const tag of [image.version, 'latest']) {
    const pushed = await pushAs(docker, local.id, names.inRegistry(tag));
    digests.add(pushed.digest);
    task.print(`pushed ${names.inRegistry(tag)} ${pushed.digest}`);
  }
  return [...digests].join(', ');
}
