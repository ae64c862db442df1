import { taskImage } from '@taskforge/image-build';
import { verificationKeyFromEnvironment, verifyImage } from '@taskforge/image-signing';
import { projectExecutor } from '../executor-context';
import type { VerifyImageExecutorOptions } from './schema';

/** `--reference` as users write it: a tag or a digest of this image in `repository`, or a full reference as is. */
function referenceToVerify(given: string | undefined, repository: string, version: string): string {
  if (!given) return `${repository}:${version}`;
  if (given.includes('/')) return given;
  if (given.startsWith('sha256:')) return `${repository}@${given}`;
  return `${repository}:${given}`;
}

export default projectExecutor<VerifyImageExecutorOptions>(async (run, options, context) => {
  const task = run.task();
  const image = taskImage(task);
  const reference = referenceToVerify(options.reference, `${task.registry}/${image.definition.name}`, image.version);
  const key = verificationKeyFromEnvironment(context.root);
  const verified = await verifyImage(reference, key);
  run.print(`${reference}: signature verified with ${key.source} (${key.fingerprint})`);
  for (const attachment of verified.attachments) run.print(`${attachment.suffix} ${attachment.reference} names the same digest`);
  run.print(`digest ${verified.digest}`);
});
