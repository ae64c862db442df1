import type { PromiseExecutor } from '@nx/devkit';
import { inspectLocalImage, pushImage, registryHasTag, tagImage } from '@taskforge/engine';
import { contentTag } from '@taskforge/image-cache';
import { UserError } from '@taskforge/user-errors';
import { imageTaskContext, reportFailure } from '../executor-context';
import type { ShareImageExecutorOptions } from './schema';

const shareImageExecutor: PromiseExecutor<ShareImageExecutorOptions> = async (options, context) => {
  const project = context.projectName!;
  try {
    const task = await imageTaskContext(context, options.registry);
    const image = task.workspace.projects.get(project)!;
    const tag = contentTag(task.keys.get(project)!);
    const local = await inspectLocalImage(task.docker, `${image.definition.name}:${tag}`);
    if (!local) throw new UserError(`${image.definition.name}:${tag} is not in the engine: run \`npx nx run ${project}:build-image\` first.`);
    const reference = `${task.registry}/${image.definition.name}:${tag}`;
    if (await registryHasTag(reference)) {
      task.print(`already shared: ${reference}`);
      return { success: true };
    }
    await tagImage(task.docker, local.id, reference);
    const pushed = await pushImage(task.docker, reference);
    task.print(`shared ${reference} ${pushed.digest}`);
    return { success: true };
  } catch (error) {
    return reportFailure(project, error);
  }
};

export default shareImageExecutor;
