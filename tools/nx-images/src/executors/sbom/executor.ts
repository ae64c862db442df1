import { resolve } from 'node:path';
import { imageNames } from '@taskforge/image-build';
import { imageSbom, sbomFile, writeSbom } from '@taskforge/sbom';
import { projectExecutor } from '../executor-context';
import type { SbomExecutorOptions } from './schema';

/** The SBOM of the image of the current sources (its content tag, which build-image made or reused). */
export default projectExecutor<SbomExecutorOptions>(async (run, options, context) => {
  const task = run.task();
  const names = imageNames(task, run.project);
  const repository = `${task.registry}/${task.workspace.projects.get(run.project)!.definition.name}`;
  const sbom = await imageSbom(await run.engine(), names.content, { repository });
  const file = options.output ? resolve(context.root, options.output) : sbomFile(context.root, run.project);
  const text = writeSbom(file, sbom);
  if (!options.output) process.stdout.write(text);
  const subject = sbom.metadata?.component?.purl ?? `${names.content} (not pushed to ${task.registry}: no manifest digest yet)`;
  run.print(`${sbom.components?.length ?? 0} components of ${subject} -> ${file}`);
});
