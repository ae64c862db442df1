import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import type { RootfsRecipe } from '@taskforge/image-model';
import { UserError } from '@taskforge/user-errors';

/** mmdebstrap arguments for a recipe; the mirror is left to mmdebstrap's default (or MMDEBSTRAP_MIRROR). */
export function mmdebstrapArgs(recipe: RootfsRecipe, tarball: string): string[] {
  const args = [
    `--variant=${recipe.variant}`,
    // Merged /usr by symlinks, without the usrmerge package and the perl it pulls in.
    '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
    '--aptopt=APT::Install-Recommends "false"',
    ...(recipe.aptOptions ?? []).map((option) => `--aptopt=${option}`),
    `--include=${recipe.packages.join(',')}`,
    '--format=tar',
  ];
  for (const path of recipe.exclude) {
    // A trailing "!" keeps a path that an earlier exclude would drop (e.g. licences).
    args.push(path.endsWith('!') ? `--dpkgopt=path-include=${path.slice(0, -1)}` : `--dpkgopt=path-exclude=${path}`);
  }
  args.push(recipe.suite, tarball);
  if (process.env.MMDEBSTRAP_MIRROR) args.push(process.env.MMDEBSTRAP_MIRROR);
  return args;
}

/**
 * Builds a Debian root filesystem tarball with mmdebstrap. With the recipe's
 * SOURCE_DATE_EPOCH and the same package versions, two builds give the same
 * bytes.
 */
export async function buildRootfsTarball(recipe: RootfsRecipe, tarball: string, print: (line: string) => void): Promise<void> {
  if (!existsSync('/usr/bin/mmdebstrap')) {
    throw new UserError('mmdebstrap is not installed: run `npm run engine:up` (installs it on Debian as root) or `apt-get install mmdebstrap`.');
  }
  if (process.getuid?.() !== 0) {
    throw new UserError('Building the root filesystem needs root (mmdebstrap creates device nodes and chroots): run the build as root.');
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn('mmdebstrap', mmdebstrapArgs(recipe, tarball), {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(recipe.sourceDateEpoch) },
      // With no mirror argument mmdebstrap reads sources from a non-terminal stdin; give it nothing.
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const forward = (chunk: Buffer) =>
      chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim())
        .forEach((line) => {
          lines.push(line);
          if (lines.length > 15) lines.shift();
          print(line);
        });
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new UserError(`mmdebstrap failed with exit code ${code}: ${lines.slice(-3).join(' | ')}; check the recipe's suite and package names.`));
    });
  });
}

/** sha256 of the uncompressed tarball: the layer's diff ID once imported. */
export async function tarballDigest(tarball: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(tarball)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
