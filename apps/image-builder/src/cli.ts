import { parseArgs } from 'node:util';
import { TaskImageBuilder } from '@taskforge/image-builder-server';
import { isRequestRefused } from '@taskforge/task-images';
import { describeError } from '@taskforge/user-errors';
import { builderOptionsFromEnv, fail } from './settings';

// npx nx run image-builder:build-task-image --task-id=task-abc123 --capability=pip_package:pandas==2.0.0
async function main(): Promise<number> {
  let values: { 'task-id'?: string; capability?: string[] };
  try {
    ({ values } = parseArgs({ options: { 'task-id': { type: 'string' }, capability: { type: 'string', multiple: true } }, strict: true }));
  } catch (error) {
    fail(`${(error as Error).message}; use --task-id=<id> --capability=<kind:name==version> (repeatable)`);
  }
  const builder = new TaskImageBuilder(builderOptionsFromEnv());
  try {
    await builder.start();
    const record = await builder.submit({ task_id: values['task-id'], capabilities: values.capability ?? [] });
    let printed = 0;
    const printNewLines = async () => {
      for (const line of await builder.store.log(record.id, printed)) {
        console.log(`[image-builder] ${line}`);
        printed += 1;
      }
    };
    const follow = setInterval(() => void printNewLines(), 200);
    const settled = await builder.settled(record.id);
    clearInterval(follow);
    await printNewLines();
    if (settled.state !== 'done') return 1;
    console.log(settled.image);
    return 0;
  } catch (error) {
    console.error(`[image-builder] ${isRequestRefused(error) ? `refused (${error.status}): ${error.message}` : describeError(error)}`);
    return 2;
  } finally {
    await builder.stop();
  }
}

main().then((code) => process.exit(code));
