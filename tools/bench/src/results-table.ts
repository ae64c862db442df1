export interface Row {
  what: string;
  measured: string;
  ratio: string;
  target: string;
  verdict: string;
}

/** Collects benchmark rows and prints them as a Markdown table. */
export class ResultsTable {
  readonly rows: Row[] = [];

  constructor(private readonly log: (line: string) => void) {}

  ratio(what: string, measured: string, ratio: number, target: string, ok: boolean): void {
    this.rows.push({ what, measured, ratio: `${ratio.toFixed(2)}x`, target, verdict: ok ? 'met' : 'MISSED' });
    this.log(`${what}: ${measured} = ${ratio.toFixed(2)}x (target ${target})`);
  }

  record(what: string, measured: string, target = '(on record)', verdict = '-'): void {
    this.rows.push({ what, measured, ratio: '-', target, verdict });
    this.log(`${what}: ${measured}`);
  }

  toMarkdown(): string {
    const header: Row = { what: 'benchmark', measured: 'measured', ratio: 'ratio', target: 'target', verdict: 'verdict' };
    const keys = Object.keys(header) as Array<keyof Row>;
    const widths = keys.map((k) => Math.max(...[header, ...this.rows].map((r) => r[k].length)));
    const line = (r: Row) => `| ${keys.map((k, i) => r[k].padEnd(widths[i])).join(' | ')} |`;
    return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...this.rows.map(line)].join('\n');
  }
}
