import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in a running container, as the task's own processes would (UID 1001 unless told otherwise). */
export async function execIn(container: Docker.Container, cmd: string[], options: { user?: string; workingDir?: string; env?: string[] } = {}): Promise<ExecResult> {
  const exec = await container.exec({ Cmd: cmd, User: options.user ?? '1001', WorkingDir: options.workingDir, Env: options.env, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  container.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  const { ExitCode } = (await exec.inspect()) as { ExitCode: number | null };
  return { exitCode: ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
