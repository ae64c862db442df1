import { describeError } from '@taskforge/user-errors';
import { engineAddress, resolveRegistry } from '@taskforge/engine';
import { parseEngineChoice } from './engine-choice';
import { ensureEngine } from './ensure-engine';
import { ensureNestedEngine } from './ensure-nested-engine';
import { nestedEngineName } from './nested-engines';
import { nestedSettings } from './nested-environment';
import { stopEngine } from './stop-engine';
import { stopNestedEngine } from './stop-nested-engine';

const log = (line: string) => console.log(`[engine] ${line}`);

async function main(command: string | undefined, args: string[]): Promise<void> {
  const nested = parseEngineChoice(args);
  if (nested) {
    // A shell with a nested engine's exports pasted still means the host engine here: nested engines run on it.
    for (const setting of nestedSettings()) {
      log(`ignoring ${setting}=${process.env[setting]} (a nested engine's) for the host engine`);
      delete process.env[setting];
    }
  }
  if (command === 'down') {
    await (nested ? stopNestedEngine(nested, log) : stopEngine(log));
    return;
  }
  if (nested) {
    const engine = await ensureNestedEngine(nested, log);
    log(`nested engine ${nestedEngineName(nested)} ${engine.state}: Docker ${engine.engineVersion} (API ${engine.apiVersion}), registry ${engine.registry}`);
    log(`stop it with \`npm run engine:down -- --engine=${nested.engine} --store=${nested.store}\`; use it with:`);
    // Last and unprefixed, so they can be pasted (or eval'd from `| tail -2`).
    console.log(`export DOCKER_HOST=${engine.dockerHost}`);
    console.log(`export IMAGE_REGISTRY=${engine.registry}`);
    return;
  }
  const result = await ensureEngine(log);
  log(`engine ${result.engine} at ${engineAddress()}; registry ${result.registry} at ${resolveRegistry()}`);
  if (result.engine === 'started' || result.registry === 'started') log('stop them with `npm run engine:down`');
}

main(process.argv[2], process.argv.slice(3)).catch((error) => {
  console.error(`[engine] ${describeError(error)}`);
  process.exit(1);
});
