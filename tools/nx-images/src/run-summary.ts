import type { TaskResults } from 'nx/src/tasks-runner/life-cycle';
import { formatImageSize } from '@taskforge/engine';
import { readImageRecord } from './image-record-file';

/** Lines of the end-of-run table: one per image whose build-image ran in this run. */
export function runSummaryLines(workspaceRoot: string, taskResults: TaskResults): string[] {
  const rows: string[][] = [];
  for (const result of Object.values(taskResults)) {
    if (result.task.target.target !== 'build-image' || result.status === 'skipped') continue;
    const project = result.task.target.project;
    const record = readImageRecord(workspaceRoot, project);
    const fromCache = result.status === 'local-cache' || result.status === 'remote-cache' || result.status === 'local-cache-kept-existing';
    if (result.status === 'failure' || !record) {
      rows.push([project, '-', '-', '-', result.status === 'failure' ? 'FAILED' : result.status, '-']);
      continue;
    }
    const seconds = fromCache ? 0 : record.seconds;
    rows.push([
      project,
      record.tags[0],
      record.id.replace('sha256:', '').slice(0, 12),
      formatImageSize({ size: record.size, sizeIs: record.sizeIs ?? 'unpacked' }),
      fromCache ? 'up to date (Nx cache, image present)' : record.outcome,
      `${seconds.toFixed(1)}s`,
    ]);
  }
  if (rows.length === 0) return [];
  const header = ['project', 'tag', 'image id', 'size', 'result', 'time'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const format = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return ['', 'Images:', format(header), ...rows.map(format)];
}

/**
 * One line per outside image whose tag moved since the images built on it
 * were last built, naming them: `outside base debian:bookworm moved:
 * sha256:aaa -> sha256:bbb; rebuilt openclaw-x`. Only build-image tasks that
 * ran count; a result Nx replays from its cache moved nothing in this run.
 */
export function outsideMoveLines(workspaceRoot: string, taskResults: TaskResults): string[] {
  const moves = new Map<string, { reference: string; from: string; to: string; rebuilt: string[]; reused: string[] }>();
  for (const result of Object.values(taskResults)) {
    if (result.task.target.target !== 'build-image' || result.status !== 'success') continue;
    const record = readImageRecord(workspaceRoot, result.task.target.project);
    if (!record?.outsideMoved) continue;
    for (const move of record.outsideMoved) {
      const key = `${move.reference}\0${move.from}\0${move.to}`;
      const entry = moves.get(key) ?? { ...move, rebuilt: [], reused: [] };
      (record.outcome === 'built' ? entry.rebuilt : entry.reused).push(record.image);
      moves.set(key, entry);
    }
  }
  return [...moves.values()]
    .sort((a, b) => a.reference.localeCompare(b.reference))
    .map((move) => {
      const images = [
        ...(move.rebuilt.length ? [`rebuilt ${move.rebuilt.sort().join(', ')}`] : []),
        ...(move.reused.length ? [`reused ${move.reused.sort().join(', ')} (already built on the new base)`] : []),
      ];
      return `outside base ${move.reference} moved: ${move.from} -> ${move.to}; ${images.join('; ')}`;
    });
}

export function printRunSummary(workspaceRoot: string, taskResults: TaskResults): void {
  const lines = runSummaryLines(workspaceRoot, taskResults);
  // One image is already described by its own output; the table is for runs of several.
  if (lines.length > 4) console.log(lines.join('\n'));
  // A moved outside base is news even for one image: it is why that image was built.
  const moves = outsideMoveLines(workspaceRoot, taskResults);
  if (moves.length) console.log(['', ...moves].join('\n'));
}
