import { describeError } from '@taskforge/user-errors';
import { engineAddress, resolveRegistry } from '@taskforge/engine';
import { ensureEngine } from './ensure-engine';
import { stopEngine } from './stop-engine';

const log = (line: string) => console.log(`[engine] ${line}`);

async function main(command: string | undefined): Promise<void> {
  if (command === 'down') {
    await stopEngine(log);
    return;
  }
  const result = await ensureEngine(log);
  log(`engine ${result.engine} at ${engineAddress()}; registry ${result.registry} at ${resolveRegistry()}`);
  if (result.engine === 'started' || result.registry === 'started') log('stop them with `npm run engine:down`');
}

main(process.argv[2]).catch((error) => {
  console.error(`[engine] ${describeError(error)}`);
  process.exit(1);
});
