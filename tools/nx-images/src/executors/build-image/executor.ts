import { formatImageSize } from '@taskforge/engine';
import { ensureImage, movedOutsideImages, movedPackages } from '@taskforge/image-build';
import { readImageRecord, writeImageRecord } from '../../image-record-file';
import { projectExecutor } from '../executor-context';
import type { BuildImageExecutorOptions } from './schema';

export default projectExecutor<BuildImageExecutorOptions>(async (run, options) => {
  const task = run.task();
  const previous = readImageRecord(task.workspaceRoot, run.project);
  const record = await ensureImage(await run.engine(), task, { shareContentTag: options.shareContentTag ?? false, packagesWhenReused: !!previous?.packages });
  if (previous?.packages && record.packages && previous.id !== record.id) {
    const moved = movedPackages(previous.packages, record.packages);
    if (moved.length) run.print(`Debian packages moved since the previous build (${moved.length}): ${moved.join(', ')}`);
  }
  const movedOutside = movedOutsideImages(previous?.outsideImages, record.outsideImages);
  if (movedOutside.length) record.outsideMoved = movedOutside;
  for (const move of movedOutside) run.print(`outside base ${move.reference} moved since the previous build: ${move.from} -> ${move.to}`);
  writeImageRecord(task.workspaceRoot, record);
  const layer = record.layerDigest ? `, layer ${record.layerDigest}` : '';
  run.print(`${record.outcome}: ${record.tags.join(', ')} = ${record.id} (${formatImageSize({ size: record.size, sizeIs: record.sizeIs ?? 'unpacked' })}${layer}) in ${record.seconds.toFixed(1)}s`);
});
