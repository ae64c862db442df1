import type Docker from 'dockerode';
import { posix } from 'node:path';
import { PassThrough } from 'node:stream';
import { pack } from 'tar-fs';

export interface RunRequest {
  image: string;
  cmd?: string[];
  entrypoint?: string[];
  user?: string;
  env?: Record<string, string>;
  workingDir?: string;
  hostConfig?: Docker.HostConfig;
  labels?: Record<string, string>;
  /** Kill the container after this long; the result says it timed out. */
  timeoutMs?: number;
  /** A host folder copied into the container before it starts (works with remote engines too). */
  copyIn?: { hostDir: string; containerDir: string };
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a container to completion and returns its exit code and output; the container is removed. */
export async function runContainer(docker: Docker, request: RunRequest): Promise<RunResult> {
  const container = await docker.createContainer({
    Image: request.image,
    Cmd: request.cmd,
    Entrypoint: request.entrypoint,
    User: request.user,
    Env: Object.entries(request.env ?? {}).map(([k, v]) => `${k}=${v}`),
    WorkingDir: request.workingDir,
    Labels: request.labels,
    HostConfig: request.hostConfig,
  });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.out.push(c));
  stderr.on('data', (c: Buffer) => chunks.err.push(c));
  try {
    if (request.copyIn) {
      // putArchive extracts into an existing folder: ship the folder under its target name, into its parent.
      const target = posix.basename(request.copyIn.containerDir);
      const archive = pack(request.copyIn.hostDir, { map: (header) => ({ ...header, name: posix.join(target, header.name), uid: 0, gid: 0 }) });
      await container.putArchive(archive as never, { path: posix.dirname(request.copyIn.containerDir) });
    }
    const attached = await container.attach({ stream: true, stdout: true, stderr: true });
    // The attach stream ends after the container's last output, which may be after wait() answers.
    const drained = new Promise<void>((resolve) => {
      attached.once('end', resolve);
      attached.once('close', resolve);
      attached.once('error', () => resolve());
    });
    container.modem.demuxStream(attached, stdout, stderr);
    await container.start();
    let timedOut = false;
    const timer = request.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          container.kill().catch(() => undefined);
        }, request.timeoutMs)
      : undefined;
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    clearTimeout(timer);
    // Everything the container wrote, however much: wait for the stream's end (bounded, should an engine keep it open).
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await new Promise((resolve) => setImmediate(resolve));
    return {
      exitCode: StatusCode,
      stdout: Buffer.concat(chunks.out).toString('utf8'),
      stderr: Buffer.concat(chunks.err).toString('utf8'),
      timedOut,
    };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
