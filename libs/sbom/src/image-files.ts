import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import type Docker from 'dockerode';
import { UserError } from '@taskforge/user-errors';

export interface ImageFile {
  path: string;
  text: string;
}

/** The files of an image an SBOM is made from, as read-image-files.py collects them. */
export interface ImageFiles {
  osRelease: string | null;
  debianVersion: string | null;
  /** /var/lib/dpkg/status and each file of /var/lib/dpkg/status.d/. */
  dpkgStatus: ImageFile[];
  /** /usr/share/doc/<package>/copyright by package name. */
  copyrights: Record<string, string>;
  /** Each .dist-info's METADATA or .egg-info's PKG-INFO (headers only), at the distribution's path. */
  python: ImageFile[];
  /** Each package's package.json, at the package's folder. */
  npm: ImageFile[];
  /** Each Go toolchain's VERSION file, at its GOROOT. */
  go: ImageFile[];
}

const SCRIPT = readFileSync(join(__dirname, 'read-image-files.py'), 'utf8');
const READ_TIMEOUT_MS = 120_000;
const MEMORY_BYTES = 512 * 1024 * 1024;

interface ReaderOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs the script in a container and returns all it printed. The output is
 * taken as complete when the attach stream ends, not when the container exits:
 * the engine may still be delivering megabytes of it then.
 */
async function runReader(docker: Docker, image: string): Promise<ReaderOutput> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['python3'],
    Cmd: ['-I', '-c', SCRIPT],
    Labels: { 'io.taskforge.sbom.reader': image },
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      Memory: MEMORY_BYTES,
      MemorySwap: MEMORY_BYTES,
      PidsLimit: 64,
    },
  });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const stdout = new PassThrough().on('data', (chunk: Buffer) => out.push(chunk));
    const stderr = new PassThrough().on('data', (chunk: Buffer) => err.push(chunk));
    container.modem.demuxStream(stream, stdout, stderr);
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    }).then(async () => {
      // demuxStream never ends its outputs: end them, and let them hand over what they still hold.
      stdout.end();
      stderr.end();
      await Promise.all([finished(stdout), finished(stderr)]);
    });
    // Awaited below once the container runs; a container that never starts must not leave it unhandled.
    ended.catch(() => undefined);
    await container.start();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      container.kill().catch(() => undefined);
    }, READ_TIMEOUT_MS);
    try {
      const [{ StatusCode }] = (await Promise.all([container.wait(), ended])) as [{ StatusCode: number }, void];
      return { exitCode: StatusCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * Reads the files an SBOM is made from out of an image, by running its own
 * python3 on a short standard-library script in a container of it: as the
 * image's user, without network, capabilities or a writable root filesystem.
 * A container starts in about a second whatever the image's size, where
 * exporting the layers of a 500 MB image takes the engine over ten.
 */
export async function readImageFiles(docker: Docker, image: string): Promise<ImageFiles> {
  let result: ReaderOutput;
  try {
    result = await runReader(docker, image);
  } catch (error) {
    const message = (error as Error).message ?? '';
    if (/executable file not found|no such file or directory/i.test(message)) {
      throw new UserError(`${image} has no python3 on its PATH: the SBOM is read by running the image's python3 on a standard-library script; install python3 in the image.`);
    }
    throw error;
  }
  if (result.timedOut) throw new UserError(`reading the packages of ${image} took more than ${READ_TIMEOUT_MS / 1000} s; check that the engine is not overloaded.`);
  if (result.exitCode !== 0) {
    const lastLine = result.stderr.trim().split('\n').pop() ?? '';
    throw new UserError(`reading the packages of ${image} failed (exit ${result.exitCode}): ${lastLine}`);
  }
  try {
    return JSON.parse(result.stdout) as ImageFiles;
  } catch (error) {
    throw new UserError(`reading the packages of ${image} printed no JSON (${(error as Error).message}); does its python3 run?`);
  }
}
