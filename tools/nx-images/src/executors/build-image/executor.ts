import type { PromiseExecutor } from '@nx/devkit';
import { ensureImage } from '@taskforge/image-cache';
import { writeImageRecord } from '../../image-record-file';
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
      shareContentTag: options.shareContentTag ?? true,
      print: task.print,
    });
    writeImageRecord(task.workspaceRoot, record);
    const layer = record.layerDigest ? `, layer ${record.layerDigest}` : '';
    task.print(`${record.outcome}: ${record.tags.join(', ')} = ${record.id} (${(record.size / 1e6).toFixed(1)} MB${layer}) in ${record.seconds.toFixed(1)}s`);
    return { success: true };
  } catch (error) {
    return reportFailure(project, error);
  }
};

export default buildImageExecutor;
