import { pushImageVersion } from '@taskforge/image-build';
import { projectExecutor } from '../executor-context';
import type { PushImageExecutorOptions } from './schema';

/** share-image, then NAME:VERSION and NAME:latest. */
export default projectExecutor<PushImageExecutorOptions>(async (run) => {
  run.print(`digest ${await pushImageVersion(await run.engine(), run.task())}`);
});
