import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildOrder, contextFileTraits, type ImageProject, type ImageWorkspace } from '@taskforge/image-model';

/** Bumped when what goes into a key changes, so old keys are never mistaken for new ones. */
const KEY_FORMAT = 'taskforge-image-key/1';

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => key !== '$schema')
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function fileLine(contextDir: string, relative: string): string {
  const traits = contextFileTraits(contextDir, relative);
  const full = join(contextDir, relative);
  const content = traits.symlink ? `link:${readlinkSync(full)}` : createHash('sha256').update(readFileSync(full)).digest('hex');
  return `${relative}\0${traits.executable ? 'x' : '-'}\0${content}`;
}

/**
 * The content key of one image: a hash of everything that goes into it (the
 * definition, the version, every build context file .dockerignore lets
 * through) and of the identity of every image it is built from: the content
 * key of an in-repo parent, the reference of an outside one. Same key, same
 * image: it can be reused instead of rebuilt.
 */
export function contentKey(workspaceRoot: string, image: ImageProject, parentKeys: Map<string, string>): string {
  const hash = createHash('sha256');
  const contextDir = join(workspaceRoot, image.root);
  hash.update(`${KEY_FORMAT}\n${canonicalJson(image.definition)}\n${image.version}\n`);
  for (const file of image.contextFiles) hash.update(`${fileLine(contextDir, file)}\n`);
  for (const use of image.uses) {
    const parent = use.kind === 'in-repo' ? parentKeys.get(use.node.project) : undefined;
    hash.update(`use\0${use.use.reference}\0${parent ?? 'outside'}\n`);
  }
  return hash.digest('hex').slice(0, 32);
}

/** Content keys of every image of the workspace, parents first. */
export function contentKeys(workspaceRoot: string, workspace: ImageWorkspace): Map<string, string> {
  const keys = new Map<string, string>();
  for (const image of buildOrder(workspace)) keys.set(image.project, contentKey(workspaceRoot, image, keys));
  return keys;
}

/** The tag that carries a content key: `ck-<key>`. */
export function contentTag(key: string): string {
  return `ck-${key}`;
}
