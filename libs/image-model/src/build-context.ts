import dockerignoreModule = require('@balena/dockerignore');
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

// The package is CommonJS (module.exports = factory) but its types declare a default export.
const dockerignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;

/**
 * The files Docker sends as the build context of `contextDir`: everything
 * `.dockerignore` lets through, plus the Dockerfile and `.dockerignore`
 * themselves (Docker always sends those). Paths are relative, with `/`,
 * sorted, so the list can be hashed and tarred in the same order.
 */
export function listBuildContextFiles(contextDir: string, dockerfile = 'Dockerfile'): string[] {
  const ignoreFile = join(contextDir, '.dockerignore');
  const rules = existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '';
  const ignore = dockerignore({ ignorecase: false }).add(rules.split(/\r?\n/));
  const always = new Set([dockerfile, '.dockerignore']);
  const files: string[] = [];

  const walk = (relativeDir: string) => {
    for (const entry of readdirSync(join(contextDir, relativeDir), { withFileTypes: true })) {
      const relative = relativeDir ? posix.join(relativeDir, entry.name) : entry.name;
      if (entry.isDirectory()) {
        // A folder the rules exclude may still hold files an exception (`!`) lets back in.
        walk(relative);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && (always.has(relative) || !ignore.ignores(relative))) {
        files.push(relative);
      }
    }
  };
  walk('');
  return files.sort();
}

/** True for symlinks and executables: the parts of a file's mode that change an image. */
export function contextFileTraits(contextDir: string, relative: string): { symlink: boolean; executable: boolean } {
  const stat = lstatSync(join(contextDir, relative));
  return { symlink: stat.isSymbolicLink(), executable: (stat.mode & 0o111) !== 0 };
}
