import type { PromiseExecutor } from '@nx/devkit';
import { ensureImage, movedPackages } from '@taskforge/image-cache';
import { readImageRecord, writeImageRecord } from '../../image-record-file';
import { imageTaskContext, reportFailure } from '../executor-context';
import type { BuildImageExecutorOptions } from './schema';

const buildImageExecutor: PromiseExecutor<BuildImageExecutorOptions> = async (options, context) => {
  const project = context.projectName!;
  try {
    const task = await imageTaskContext(context, options.registry);
    const record = await ensureImage(task.docker, {
      workspaceRoot: task.workspaceRoot,
      workspace: task.workspace,
      keys: task.keys,
      project,
      registry: task.registry,
      shareContentTag: options.shareContentTag ?? false,
      print: task.print,
    });
    const previous = readImageRecord(task.workspaceRoot, project);
    if (previous?.packages && record.packages && previous.id !== record.id) {
      const moved = movedPackages(previous.packages, record.packages);
      if (moved.length) task.print(`Debian packages moved since the previous build (${moved.length}): ${moved.join(', ')}`);
    }
    writeImageRecord(task.workspaceRoot, record);
    const layer = record.layerDigest ? `, layer ${record.layerDigest}` : '';
    task.print(`${record.outcome}: ${record.tags.join(', ')} = ${record.id} (${(record.size / 1e6).toFixed(1)} MB${layer}) in ${record.seconds.toFixed(1)}s`);
    return { success: true };
  } catch (error) {
    return reportFailure(project, error);
  }
};

export default buildImageExecutor;
