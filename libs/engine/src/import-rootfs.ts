import type Docker from 'dockerode';
import { createReadStream } from 'node:fs';
import { readEngineStream } from './engine-stream';

export interface ImportRequest {
  tarball: string;
  /** repo:tag to create. */
  reference: string;
  /** Dockerfile instructions applied to the image config (ENV, CMD, LABEL, ...). */
  changes: string[];
}

/** Imports a root filesystem tarball as a single-layer image; resolves with its ID. */
export async function importRootfs(docker: Docker, request: ImportRequest): Promise<string> {
  const colon = request.reference.lastIndexOf(':');
  const stream = await docker.importImage(createReadStream(request.tarball) as never, {
    repo: request.reference.slice(0, colon),
    tag: request.reference.slice(colon + 1),
    changes: request.changes,
  } as never);
  const messages = await readEngineStream(stream as never);
  const id = messages.map((m) => m.status).find((s) => s?.startsWith('sha256:'));
  if (!id) throw new Error(`the engine imported ${request.tarball} without reporting an image ID`);
  return id;
}
