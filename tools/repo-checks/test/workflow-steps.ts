/**
 * The parts of a workflow's job the checks read: its `env:` and its steps (name, `if:`, `env:`, `run:`), from the
 * text as GitHub workflows are written here (two-space indents, `run: |` blocks). Not a YAML parser: enough for
 * this repository's workflows, and a check that finds nothing fails.
 */
export interface WorkflowStep {
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  env: Record<string, string>;
}

const indent = (line: string) => line.length - line.trimStart().length;
const significant = (line: string) => line.trim() !== '' && !line.trim().startsWith('#');

/** The lines under `lines[at]`: blank lines and lines indented deeper than it (a comment less indented ends them, as in YAML). */
function linesUnder(lines: string[], at: number, keyIndent = indent(lines[at])): string[] {
  const body: string[] = [];
  for (let i = at + 1; i < lines.length && (lines[i].trim() === '' || indent(lines[i]) > keyIndent); i++) body.push(lines[i]);
  return body;
}

/** `key: value` pairs at the first indent of `lines`; a `|` or `>` value is the block under it, dedented. */
function mapping(lines: string[]): Record<string, string> {
  const first = lines.find(significant);
  if (!first) return {};
  const keyIndent = indent(first);
  const result: Record<string, string> = {};
  lines.forEach((line, i) => {
    if (!significant(line) || indent(line) !== keyIndent) return;
    const match = /^\s*(?:- )?([\w-]+):\s*(.*)$/.exec(line);
    if (!match) return;
    const [, key, value] = match;
    if (/^[|>]-?$/.test(value)) {
      const body = linesUnder(lines, i, keyIndent);
      const blockIndent = Math.min(...body.filter(significant).map(indent));
      result[key] = body.map((l) => l.slice(blockIndent)).join('\n').trimEnd();
    } else {
      result[key] = value;
    }
  });
  return result;
}

/** The lines of job `job` under `jobs:`. */
function jobLines(text: string, job: string): string[] {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => line === `  ${job}:`);
  if (at < 0) throw new Error(`no job ${job}`);
  return linesUnder(lines, at);
}

/** The job's own `env:` (not a step's). */
export function jobEnv(text: string, job: string): Record<string, string> {
  const lines = jobLines(text, job);
  const at = lines.findIndex((line) => line === '    env:');
  return at < 0 ? {} : mapping(linesUnder(lines, at));
}

/** The job's steps, in order. */
export function jobSteps(text: string, job: string): WorkflowStep[] {
  const lines = jobLines(text, job);
  const at = lines.findIndex((line) => line === '    steps:');
  if (at < 0) return [];
  const steps: string[][] = [];
  for (const line of linesUnder(lines, at)) {
    if (/^ {6}- /.test(line)) steps.push([line.replace('- ', '  ')]);
    else steps.at(-1)?.push(line);
  }
  return steps.map((step) => {
    const keys = mapping(step);
    const envAt = step.findIndex((line) => /^ {8}env:\s*$/.test(line));
    return { name: keys.name, if: keys.if, uses: keys.uses, run: keys.run, env: envAt < 0 ? {} : mapping(linesUnder(step, envAt)) };
  });
}
