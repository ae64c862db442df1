import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildOrder, contextFileTraits, type DockerfileFeature, type ImageProject, type ImageWorkspace } from '@taskforge/image-model';
import { lackedFeatures } from './engine-dialect';
import { outsideKeyPart, type OutsideImages } from './outside-images';

/**
 * Bumped when what goes into a key changes, or what a build makes of the same inputs, so old keys are never mistaken
 * for new ones. 2: the labels name a repo parent by its content key, not by a digest that depended on push history.
 */
const KEY_FORMAT = 'taskforge-image-key/2';

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

/**
 * Content hashes of files, remembered by size and modification time (as Nx
 * does for the workspace) so an unchanged build context is not read again on
 * every run. Kept in a JSON file when a path is given.
 */
export class FileHashCache {
  private entries: Record<string, [size: number, mtimeMs: number, hash: string]> = {};
  private readonly used = new Set<string>();
  private dirty = false;

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      try {
        this.entries = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        this.entries = {};
      }
    }
  }

  hash(path: string): string {
    const stat = statSync(path);
    this.used.add(path);
    const known = this.entries[path];
    if (known && known[0] === stat.size && known[1] === stat.mtimeMs) return known[2];
    const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
    this.entries[path] = [stat.size, stat.mtimeMs, hash];
    this.dirty = true;
    return hash;
  }

  /** Writes what this run hashed; files no longer in any build context drop out. */
  save(pruneUnused = true): void {
    if (!this.file) return;
    const stale = pruneUnused ? Object.keys(this.entries).filter((path) => !this.used.has(path)) : [];
    if (!this.dirty && stale.length === 0) return;
    for (const path of stale) delete this.entries[path];
    mkdirSync(dirname(this.file), { recursive: true });
    // Parallel build-image tasks share the file: write aside, then rename, so no reader sees half a file.
    const temporary = `${this.file}.${process.pid}`;
    writeFileSync(temporary, JSON.stringify(this.entries));
    renameSync(temporary, this.file);
    this.dirty = false;
  }
}

function fileLine(contextDir: string, relative: string, hashes: FileHashCache): string {
  const traits = contextFileTraits(contextDir, relative);
  const full = join(contextDir, relative);
  const content = traits.symlink ? `link:${readlinkSync(full)}` : hashes.hash(full);
  return `${relative}\0${traits.executable ? 'x' : '-'}\0${content}`;
}

/**
 * The content key of one image: a hash of everything that goes into it (the
 * definition, the version, every build context file .dockerignore lets
 * through) and of the identity of every image it is built from: the content
 * key of an in-repo parent, the digest an outside one resolved to in this
 * run (its reference alone when nothing resolved it), and the features of
 * its Dockerfile the engine lacks (see engine-dialect.ts). Same key, same image:
 * it can be reused instead of rebuilt. An outside tag that moves changes it.
 */
export function contentKey(
  workspaceRoot: string,
  image: ImageProject,
  parentKeys: Map<string, string>,
  hashes = new FileHashCache(),
  outside: OutsideImages = new Map(),
  engineLacks?: readonly DockerfileFeature[],
): string {
  const hash = createHash('sha256');
  const contextDir = join(workspaceRoot, image.root);
  hash.update(`${KEY_FORMAT}\n${canonicalJson(image.definition)}\n${image.version}\n`);
  for (const file of image.contextFiles) hash.update(`${fileLine(contextDir, file, hashes)}\n`);
  // Built without a feature its Dockerfile uses, the image is another image: never reused where the engine has it.
  for (const feature of lackedFeatures(image, engineLacks)) hash.update(`without\0${feature}\n`);
  for (const use of image.uses) {
    const parent = use.kind === 'in-repo' ? parentKeys.get(use.node.project) : undefined;
    // `outside` for an unresolved outside image keeps the line (and the key) it had before outside digests were asked.
    hash.update(`use\0${use.use.reference}\0${parent ?? outsideKeyPart(use.use.reference, outside)}\n`);
  }
  return hash.digest('hex').slice(0, 32);
}

/** Content keys of every image of the workspace (or of `only` and its ancestors), parents first. */
export function contentKeys(
  workspaceRoot: string,
  workspace: ImageWorkspace,
  hashes = new FileHashCache(),
  only?: string,
  outside: OutsideImages = new Map(),
  engineLacks?: readonly DockerfileFeature[],
): Map<string, string> {
  const keys = new Map<string, string>();
  for (const image of buildOrder(workspace, only)) keys.set(image.project, contentKey(workspaceRoot, image, keys, hashes, outside, engineLacks));
  // Only a run over every image knows which remembered files are gone for good.
  hashes.save(only === undefined);
  return keys;
}

/** The tag that carries a content key: `ck-<key>`. */
export function contentTag(key: string): string {
  return `ck-${key}`;
}
