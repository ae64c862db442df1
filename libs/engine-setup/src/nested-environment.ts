import { join } from 'node:path';
import { UserError } from '@taskforge/user-errors';
import { engineStateDir } from './engine-state';
import { NESTED_REGISTRY_PORTS } from './nested-engines';

/** Which of DOCKER_HOST and IMAGE_REGISTRY name a nested engine (as they do in a shell where its exports were pasted). */
export function nestedSettings(env: NodeJS.ProcessEnv = process.env): ('DOCKER_HOST' | 'IMAGE_REGISTRY')[] {
  const settings: ('DOCKER_HOST' | 'IMAGE_REGISTRY')[] = [];
  if (env.DOCKER_HOST?.startsWith(`unix://${join(engineStateDir(), 'nested')}/`)) settings.push('DOCKER_HOST');
  const port = /^(?:localhost|127\.0\.0\.1):(\d+)$/.exec(env.IMAGE_REGISTRY ?? '')?.[1];
  if (port && Object.values(NESTED_REGISTRY_PORTS).includes(Number(port))) settings.push('IMAGE_REGISTRY');
  return settings;
}

/**
 * Nested engines run on the host engine, so DOCKER_HOST and IMAGE_REGISTRY must not name one: ensureEngine would
 * take the nested engine for the host's, or start a host registry on a nested engine's port.
 */
export function refuseNestedEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const [setting] = nestedSettings(env);
  if (setting) {
    throw new UserError(`${setting}=${env[setting]} names a nested engine, and nested engines run on the host engine: run \`unset DOCKER_HOST IMAGE_REGISTRY\` first.`);
  }
}
