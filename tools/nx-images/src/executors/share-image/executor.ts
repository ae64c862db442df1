import { shareImage } from '@taskforge/image-build';
import { projectExecutor } from '../executor-context';
import type { ShareImageExecutorOptions } from './schema';

export default projectExecutor<ShareImageExecutorOptions>(async (run) => {
  await shareImage(await run.engine(), run.task());
});
