import { spawnSync } from 'node:child_process';

export interface Timed {
  seconds: number;
  output: string;
}

/** Runs a command to completion and times it; a failure stops the benchmark with the command's output. */
export function timed(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Timed {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${output.slice(-4000)}`);
  return { seconds, output };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median seconds of each command over `rounds`, interleaved so drift hits both alike. */
export function interleavedMedians(rounds: number, commands: Array<() => Timed>): number[] {
  const samples = commands.map(() => [] as number[]);
  for (let round = 0; round < rounds; round += 1) commands.forEach((run, i) => samples[i].push(run().seconds));
  return samples.map(median);
}
