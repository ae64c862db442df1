import { join, dirname } from 'node:path';
import type * as protobuf from 'protobufjs';

interface Vertex {
  digest: string;
  name: string;
  started?: unknown;
  completed?: unknown;
  cached: boolean;
  error: string;
}
interface VertexLog {
  vertex: string;
  msg: Uint8Array;
}
interface StatusResponse {
  vertexes: Vertex[];
  logs: VertexLog[];
}

let statusType: protobuf.Type | undefined;
function decodeStatus(base64: string): StatusResponse {
  // dockerode ships BuildKit's StatusResponse message definition; reuse it rather than keep a copy.
  statusType ??= (require('protobufjs') as typeof protobuf)
    .loadSync(join(dirname(require.resolve('dockerode/package.json')), 'lib', 'proto', 'buildkit_status.proto'))
    .lookupType('moby.buildkit.v1.StatusResponse');
  return statusType.toObject(statusType.decode(Buffer.from(base64, 'base64')), { defaults: true }) as StatusResponse;
}

function seconds(timestamp: unknown): number | undefined {
  if (!timestamp || typeof timestamp !== 'object') return undefined;
  const { seconds: s, nanos } = timestamp as { seconds?: number | { toNumber(): number }; nanos?: number };
  const whole = typeof s === 'object' && s !== null ? s.toNumber() : Number(s ?? 0);
  return whole + (nanos ?? 0) / 1e9;
}

export interface FailedStep {
  step: string;
  error: string;
  lastLines: string[];
}

/**
 * Turns BuildKit's status messages into readable lines, docker-CLI style:
 * `#3 [2/4] RUN useradd ...`, the step's output prefixed with its number,
 * `#3 DONE 1.2s` / `#3 CACHED`. Remembers the last lines of every step so
 * a failure can be reported with its step and output.
 */
export class BuildkitProgress {
  private readonly numbers = new Map<string, number>();
  private readonly names = new Map<string, string>();
  private readonly announced = new Set<string>();
  private readonly finished = new Set<string>();
  private readonly tails = new Map<string, string[]>();
  private readonly partial = new Map<string, string>();
  failure?: FailedStep;

  constructor(private readonly print: (line: string) => void, private readonly tailSize = 15) {}

  private number(digest: string): number {
    let n = this.numbers.get(digest);
    if (n === undefined) {
      n = this.numbers.size + 1;
      this.numbers.set(digest, n);
    }
    return n;
  }

  private remember(digest: string, line: string): void {
    const tail = this.tails.get(digest) ?? [];
    tail.push(line);
    if (tail.length > this.tailSize) tail.shift();
    this.tails.set(digest, tail);
  }

  accept(base64: string): void {
    const status = decodeStatus(base64);
    for (const vertex of status.vertexes) {
      if (vertex.name) this.names.set(vertex.digest, vertex.name);
      const n = this.number(vertex.digest);
      if (vertex.started && !this.announced.has(vertex.digest)) {
        this.announced.add(vertex.digest);
        this.print(`#${n} ${vertex.name}`);
      }
      if (vertex.error && !this.failure) {
        this.failure = { step: vertex.name, error: vertex.error, lastLines: this.tails.get(vertex.digest) ?? [] };
        this.print(`#${n} ERROR: ${vertex.error}`);
      } else if (vertex.completed && !this.finished.has(vertex.digest)) {
        this.finished.add(vertex.digest);
        if (vertex.cached) this.print(`#${n} CACHED`);
        else {
          const took = (seconds(vertex.completed) ?? 0) - (seconds(vertex.started) ?? 0);
          this.print(`#${n} DONE ${took > 0 ? took.toFixed(1) : '0.0'}s`);
        }
      }
    }
    for (const log of status.logs) {
      const n = this.number(log.vertex);
      const text = (this.partial.get(log.vertex) ?? '') + Buffer.from(log.msg).toString('utf8');
      const lines = text.split(/\r?\n/);
      this.partial.set(log.vertex, lines.pop() ?? '');
      for (const line of lines) {
        if (!line.trim()) continue;
        this.remember(log.vertex, line);
        this.print(`#${n} ${line}`);
      }
    }
  }

  /** The last lines of the step that failed, including a trailing partial line. */
  failureTail(): string[] {
    if (!this.failure) return [];
    const digest = [...this.names.entries()].find(([, name]) => name === this.failure?.step)?.[0];
    const rest = digest ? this.partial.get(digest) : undefined;
    return rest?.trim() ? [...this.failure.lastLines, rest] : this.failure.lastLines;
  }
}
