import type { TaskResults } from 'nx/src/tasks-runner/life-cycle';
import type { ImageRecord } from '@taskforge/image-build';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeImageRecord } from '../src/image-record-file';
import { outsideMoveLines, runSummaryLines } from '../src/run-summary';

const AAA = `sha256:${'a'.repeat(64)}`;
const BBB = `sha256:${'b'.repeat(64)}`;
const UPSTREAM = 'localhost:5239/upstream:1';

function record(project: string, outcome: ImageRecord['outcome'], moved: boolean): ImageRecord {
  return {
    project,
    image: `openclaw-${project}`,
    version: '1.0.0',
    contentKey: '0'.repeat(32),
    id: BBB,
    tags: [`openclaw-${project}:1.0.0`],
    size: 1,
    outcome,
    seconds: 1,
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(0).toISOString(),
    outsideImages: { [UPSTREAM]: { reference: UPSTREAM, digest: BBB, source: 'registry' } },
    ...(moved ? { outsideMoved: [{ reference: UPSTREAM, from: AAA, to: BBB }] } : {}),
  };
}

/** What Nx hands postTasksExecution: one build-image result per project, with the status it ended in. */
function results(statuses: Record<string, string>): TaskResults {
  return Object.fromEntries(
    Object.entries(statuses).map(([project, status]) => [`${project}:build-image`, { task: { target: { project, target: 'build-image' } }, status, code: 0 }]),
  ) as unknown as TaskResults;
}

describe('run summary: moved outside bases', () => {
  const root = mkdtempSync(join(tmpdir(), 'run-summary-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('names each moved outside base once, with the images rebuilt or reused on it, and ignores results replayed from the Nx cache', () => {
    writeImageRecord(root, record('x', 'built', true));
    writeImageRecord(root, record('y', 'built', true));
    writeImageRecord(root, record('z', 'reused from registry', true));
    writeImageRecord(root, record('cached', 'built', true));
    writeImageRecord(root, record('steady', 'reused from engine', false));
    expect(outsideMoveLines(root, results({ x: 'success', y: 'success', z: 'success', cached: 'local-cache', steady: 'success' }))).toEqual([
      `outside base ${UPSTREAM} moved: ${AAA} -> ${BBB}; rebuilt openclaw-x, openclaw-y; reused openclaw-z (already built on the new base)`,
    ]);
    expect(outsideMoveLines(root, results({ steady: 'success', cached: 'local-cache' }))).toEqual([]);
  });
});

describe('run summary: the image table', () => {
  const root = mkdtempSync(join(tmpdir(), 'run-summary-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('says what each size counts: unpacked layers (classic store, and records from before the field), or compressed content (containerd store)', () => {
    writeImageRecord(root, { ...record('classic', 'built', false), size: 116_900_000, sizeIs: 'unpacked' });
    writeImageRecord(root, { ...record('containerd', 'built', false), size: 45_600_000, sizeIs: 'compressed' });
    writeImageRecord(root, { ...record('older', 'built', false), size: 12_300_000 });
    const table = runSummaryLines(root, results({ classic: 'success', containerd: 'success', older: 'success' })).join('\n');
    expect(table).toMatch(/classic +openclaw-classic:1\.0\.0 +b{12} +116\.9 MB +built/);
    expect(table).toMatch(/containerd +openclaw-containerd:1\.0\.0 +b{12} +45\.6 MB compressed +built/);
    expect(table).toMatch(/older +openclaw-older:1\.0\.0 +b{12} +12\.3 MB +built/);
  });
});
