/**
 * Reads what a Dockerfile says about other images: the base of each stage
 * (`FROM`, with `ARG` defaults substituted) and images it copies or mounts
 * from (`COPY --from`, `ADD --from`, `RUN --mount=from=`). Stage names are
 * resolved, so `FROM builder` after `... AS builder` is not an image.
 */
export interface ImageUse {
  /** The reference after ARG substitution, e.g. `openclaw-base:1.0.0`. */
  reference: string;
  /** 1-based line of the instruction. */
  line: number;
  instruction: 'FROM' | 'COPY --from' | 'ADD --from' | 'RUN --mount';
  /**
   * The global ARG whose Dockerfile default is the whole reference
   * (`ARG BASE=openclaw-base:1.0.0` ... `FROM ${BASE}`), with the line of
   * that ARG: where the name is written, so where a typo in it is fixed.
   */
  arg?: { name: string; line: number };
}

/**
 * What a Dockerfile may use that the oldest supported engine's built-in frontend does not parse. Each is one the
 * build can do without on such an engine, with a lesser image: see dockerfileWithout.
 * - `healthcheck-start-interval`: `HEALTHCHECK --start-interval` (Docker 25; Docker 20.10 stops with "Unknown flag").
 */
export type DockerfileFeature = 'healthcheck-start-interval';

export interface DockerfileImages {
  /** Images the Dockerfile needs from outside itself. */
  uses: ImageUse[];
  /** Global ARGs (declared before the first FROM) with their resolved defaults. */
  globalArgs: Record<string, string | undefined>;
  /** Newer-engine features it uses, each once. */
  features: DockerfileFeature[];
}

interface Instruction {
  keyword: string;
  args: string;
  line: number;
  /** 1-based line its last continuation ends on. */
  endLine: number;
}

function logicalInstructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  const directive = /^#\s*escape\s*=\s*([\\`])\s*$/i;
  for (const line of lines) {
    if (!line.startsWith('#')) break;
    const match = directive.exec(line);
    if (match) escape = match[1];
  }
  const instructions: Instruction[] = [];
  let current: { text: string; line: number } | undefined;
  let heredocEnd: string | undefined;
  lines.forEach((raw, index) => {
    if (heredocEnd !== undefined) {
      if (raw.replace(/^\t+/, '') === heredocEnd) heredocEnd = undefined;
      return;
    }
    const trimmed = raw.trim();
    if (!current && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (current && trimmed.startsWith('#')) return;
    const continues = trimmed.endsWith(escape);
    const part = continues ? trimmed.slice(0, -1) : trimmed;
    current = current ? { text: `${current.text} ${part}`, line: current.line } : { text: part, line: index + 1 };
    if (continues) return;
    const match = /^(\S+)\s*(.*)$/s.exec(current.text);
    if (match) {
      instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: current.line, endLine: index + 1 });
      const heredoc = /<<-?(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(match[2]);
      if (heredoc && match[1].toUpperCase() !== 'FROM') heredocEnd = heredoc[2];
    }
    current = undefined;
  });
  return instructions;
}

/** Expands $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} as Docker does for FROM. */
export function substituteArgs(value: string, args: Record<string, string | undefined>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced, op, word, bare) => {
    const name = braced ?? bare;
    const current = args[name];
    if (op === '-') return current ? current : word;
    if (op === '+') return current ? word : '';
    return current ?? '';
  });
}

function flagValue(args: string, flag: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)--${flag}=(\\S+)`).exec(args);
  return match?.[1];
}

// HEALTHCHECK's options come before CMD (or NONE); `--start-interval=5s`, as BuildKit's flag parser takes them.
const START_INTERVAL = /(^|\s)--start-interval=\S*/;

/** The options part of a HEALTHCHECK's arguments: what comes before its CMD or NONE. */
function healthcheckOptions(args: string): string {
  const end = /(?:^|\s)(?:CMD|NONE)(?:\s|$)/i.exec(args);
  return end ? args.slice(0, end.index) : args;
}

/**
 * The Dockerfile for an engine that lacks `features`: each use of one taken out, nothing else changed (lines keep
 * their numbers, so the engine's errors still point at the file's own lines).
 */
export function dockerfileWithout(text: string, features: readonly DockerfileFeature[]): string {
  if (!features.includes('healthcheck-start-interval')) return text;
  const lines = text.split('\n');
  for (const instruction of logicalInstructions(text)) {
    if (instruction.keyword !== 'HEALTHCHECK' || !START_INTERVAL.test(healthcheckOptions(instruction.args))) continue;
    for (let index = instruction.line - 1; index < instruction.endLine; index++) {
      const before = lines[index];
      lines[index] = before.replace(/(^|[ \t]+)--start-interval=\S*/, '');
      if (lines[index] !== before) break;
    }
  }
  return lines.join('\n');
}

export function readDockerfileImages(text: string, buildArgs: Record<string, string> = {}): DockerfileImages {
  const instructions = logicalInstructions(text);
  const features = new Set<DockerfileFeature>();
  const globalArgs: Record<string, string | undefined> = {};
  /** Line of each global ARG whose value is its Dockerfile default (not a build argument from image.json). */
  const defaultLines: Record<string, number> = {};
  const stageNames = new Set<string>();
  const uses: ImageUse[] = [];
  let seenFrom = false;

  const isStage = (reference: string) => stageNames.has(reference.toLowerCase()) || /^\d+$/.test(reference);
  const addUse = (raw: string, line: number, instruction: ImageUse['instruction']) => {
    const reference = substituteArgs(raw, globalArgs);
    if (!reference || reference === 'scratch' || isStage(reference)) return;
    const wholeArg = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))$/.exec(raw);
    const argName = wholeArg?.[1] ?? wholeArg?.[2];
    const fromDefault = argName !== undefined && globalArgs[argName] === reference && defaultLines[argName] !== undefined;
    uses.push({ reference, line, instruction, ...(fromDefault ? { arg: { name: argName, line: defaultLines[argName] } } : {}) });
  };

  for (const { keyword, args, line } of instructions) {
    if (keyword === 'ARG' && !seenFrom) {
      for (const declaration of args.split(/\s+/).filter(Boolean)) {
        const eq = declaration.indexOf('=');
        const name = eq >= 0 ? declaration.slice(0, eq) : declaration;
        const fallback = eq >= 0 ? declaration.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2') : undefined;
        globalArgs[name] = buildArgs[name] ?? (fallback === undefined ? undefined : substituteArgs(fallback, globalArgs));
        if (buildArgs[name] === undefined && fallback !== undefined) defaultLines[name] = line;
        else delete defaultLines[name];
      }
    } else if (keyword === 'FROM') {
      seenFrom = true;
      const words = args.split(/\s+/).filter((word) => !word.startsWith('--'));
      addUse(words[0] ?? '', line, 'FROM');
      if (words[1]?.toUpperCase() === 'AS' && words[2]) stageNames.add(words[2].toLowerCase());
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      const from = flagValue(args, 'from');
      if (from) addUse(from, line, keyword === 'COPY' ? 'COPY --from' : 'ADD --from');
    } else if (keyword === 'HEALTHCHECK') {
      if (START_INTERVAL.test(healthcheckOptions(args))) features.add('healthcheck-start-interval');
    } else if (keyword === 'RUN') {
      for (const mount of args.matchAll(/--mount=(\S+)/g)) {
        const from = /(?:^|,)from=([^,]+)/.exec(mount[1]);
        if (from) addUse(from[1], line, 'RUN --mount');
      }
    }
  }
  return { uses, globalArgs, features: [...features] };
}
