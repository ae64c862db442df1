import type { PromiseExecutor } from '@nx/devkit';
import { inspectLocalImage, pushImage, tagImage } from '@taskforge/engine';
import { contentTag } from '@taskforge/image-cache';
import { UserError } from '@taskforge/user-errors';
import { imageTaskContext, reportFailure } from '../executor-context';
import type { PushImageExecutorOptions } from './schema';

const pushImageExecutor: PromiseExecutor<PushImageExecutorOptions> = async (options, context) => {
  const project = context.projectName!;
  try {
    const task = await imageTaskContext(context, options.registry);
    const image = task.workspace.projects.get(project)!;
    const name = image.definition.name;
    const local = await inspectLocalImage(task.docker, `${name}:${contentTag(task.keys.get(project)!)}`);
    if (!local) throw new UserError(`${name} for the current sources is not in the engine: run \`npx nx run ${project}:build-image\` first.`);
    const digests = new Set<string>();
    for (const tag of [image.version, 'latest', contentTag(task.keys.get(project)!)]) {
      const reference = `${task.registry}/${name}:${tag}`;
      await tagImage(task.docker, local.id, reference);
      const pushed = await pushImage(task.docker, reference);
      digests.add(pushed.digest);
      task.print(`pushed ${reference} ${pushed.digest}`);
    }
    task.print(`digest ${[...digests].join(', ')}`);
    return { success: true };
  } catch (error) {
    return reportFailure(project, error);
  }
};

export default pushImageExecutor;
