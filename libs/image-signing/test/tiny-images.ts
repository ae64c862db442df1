import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, pushImage, removeImage } from '@taskforge/engine';
import { engineForTests } from '@taskforge/testing';

/**
 * Real images for signature tests: FROM scratch with one file, built by the engine and pushed by it, so the
 * registry holds what `docker push` makes (a Docker v2 or OCI manifest, a config, one layer). Each pushes under
 * its own content, so two of them have two digests.
 */
export interface TinyImages {
  /** Builds `content` into /hello.txt, tags it `reference` and pushes it; resolves with the manifest digest. */
  push(reference: string, content: string): Promise<string>;
  /** Removes the tags it made from the engine, and its build folders. */
  remove(): Promise<void>;
}

export async function tinyImages(): Promise<TinyImages> {
  const docker = await engineForTests();
  const made: string[] = [];
  const dirs: string[] = [];
  return {
    async push(reference, content) {
      const dir = mkdtempSync(join(tmpdir(), 'signing-image-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
      writeFileSync(join(dir, 'hello.txt'), `${content}\n`);
      made.push(reference);
      await buildImage(docker, { contextDir: dir, files: ['Dockerfile', 'hello.txt'], dockerfile: 'Dockerfile', tags: [reference], labels: {}, buildArgs: {}, displayName: reference, print: () => undefined });
      return (await pushImage(docker, reference)).digest;
    },
    async remove() {
      for (const reference of made) await removeImage(docker, reference, true);
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
