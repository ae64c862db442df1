import { pushDevelopmentImage } from '@taskforge/image-build';
import { projectExecutor } from '../executor-context';
import type { PushImageExecutorOptions } from './schema';

/**
 * The content tag and X.Y.Z-dev.<commit> of the current sources, never a release tag: X.Y.Z, X.Y, X and latest
 * come from nx-release-publish alone, from the tagged commit, so a push before a release cannot take its version.
 */
export default projectExecutor<PushImageExecutorOptions>(async (run) => {
  run.print(`digest ${await pushDevelopmentImage(await run.engine(), run.task())}`);
});
