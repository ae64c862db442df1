import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { inspectLocalImage, pushAs, registryHasTag, type LocalImage } from '@taskforge/engine';
import { gitRevision, uncommittedChanges } from '@taskforge/git';
import { buildOrder, IMAGE_DEFINITION_FILE, type ImageProject } from '@taskforge/image-model';
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

/** Paths of `git status --porcelain` lines: both sides of a rename or copy, C-quoted names unquoted. */
function porcelainPaths(line: string): string[] {
  const unquote = (path: string) => {
    if (!path.startsWith('"')) return path;
    try {
      return JSON.parse(path) as string;
    } catch {
      return path.slice(1, -1);
    }
  };
  return line.slice(3).split(' -> ').map(unquote);
}

/**
 * Uncommitted changes (untracked files included) to what goes into the task's image: the definition, VERSION,
 * Dockerfile and build context files of it and of every in-repo image it is built from. A changed README that
 * .dockerignore keeps out is no change of the image; a deleted file is counted, as it may have been in a context.
 */
function uncommittedInputs(task: ImageTask): string[] {
  const isInput = (image: ImageProject, path: string) => {
    if (path === image.dockerfile) return true;
    if (!path.startsWith(`${image.root}/`)) return false;
    const relative = path.slice(image.root.length + 1);
    if (!existsSync(join(task.workspaceRoot, path))) return true;
    return relative === IMAGE_DEFINITION_FILE || relative === 'VERSION' || image.contextFiles.includes(relative);
  };
  const images = buildOrder(task.workspace, task.project);
  // git names paths from the top of the checkout: in a workspace below it they match no image, so every change counts.
  const atTop = existsSync(join(task.workspaceRoot, '.git'));
  return uncommittedChanges(task.workspaceRoot)
    .flatMap(porcelainPaths)
    .filter((path) => !atTop || images.some((image) => isInput(image, path)));
}

/**
 * Pushes the image of the current (unreleased) sources: shares its content tag, then pushes it as
 * X.Y.Z-dev.<commit> (`.dirty` with uncommitted changes to its inputs; see ImageNames.devTag). Never a release
 * tag, even at a released commit: X.Y.Z, X.Y, X and latest are pushed by `nx release publish` alone, which
 * checks that the image is the released sources and never replaces a published version. Returns the digest.
 */
export async function pushDevelopmentImage(docker: Docker, task: ImageTask): Promise<string> {
  // The content tag needs no commit (share-image pushes it from anywhere); the development tag names one.
  await shareImage(docker, task);
  const revision = gitRevision(task.workspaceRoot);
  if (!revision) {
    throw new UserError(
      `${task.project}: pushed the content tag only: ${task.workspaceRoot} is not a git checkout with a commit, and a development tag (X.Y.Z-dev.<commit>) names the commit it was built from; commit the sources, or use \`npx nx run ${task.project}:share-image\` for the content tag alone.`,
    );
  }
  const changed = uncommittedInputs(task);
  if (changed.length) {
    task.print(`uncommitted changes to the image's inputs (${changed[0]}${changed.length > 1 ? ` and ${changed.length - 1} more` : ''}): the development tag says .dirty`);
  }
  const local = await builtImage(docker, task);
  const names = imageNames(task, task.project);
  const reference = names.inRegistry(names.devTag(revision, changed.length > 0));
  const pushed = await pushAs(docker, local.id, reference);
  task.print(`pushed ${reference} ${pushed.digest}`);
  return pushed.digest;
}
