import type Docker from 'dockerode';
import { extract } from 'tar-stream';

/**
 * Reads one file out of an image without running anything in it (a created,
 * never started container's archive); undefined when the image has no such file.
 */
export async function readImageFile(docker: Docker, reference: string, path: string): Promise<string | undefined> {
  const container = await docker.createContainer({ Image: reference, Entrypoint: ['/nonexistent'], Cmd: [] });
  try {
    let archive: NodeJS.ReadableStream;
    try {
      archive = await container.getArchive({ path });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
    const unpack = extract();
    let content: string | undefined;
    const done = new Promise<void>((resolve, reject) => {
      unpack.on('entry', (header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
        stream.on('end', () => {
          if (header.type === 'file' && content === undefined) content = Buffer.concat(chunks).toString('utf8');
          next();
        });
        stream.resume();
      });
      unpack.on('finish', resolve);
      unpack.on('error', reject);
    });
    archive.pipe(unpack);
    await done;
    return content;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
