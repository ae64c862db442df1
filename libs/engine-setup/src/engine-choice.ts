import { UserError } from '@taskforge/user-errors';
import { IMAGE_STORES, NESTED_ENGINES, type ImageStore, type NestedEngineChoice, type NestedEngineVersion } from './nested-engines';

const ENGINE_VALUES = Object.keys(NESTED_ENGINES) as NestedEngineVersion[];

/** `a, b and c`, as a sentence lists them. */
const listed = (values: readonly string[]) => (values.length > 1 ? `${values.slice(0, -1).join(', ')} and ${values.at(-1)}` : values.join(''));

const acceptedEngines = () => `accepted values are ${listed(ENGINE_VALUES.map((version) => `${version} (${NESTED_ENGINES[version].describe})`))}`;

function engineVersion(value: string, source: string): NestedEngineVersion {
  if (ENGINE_VALUES.includes(value as NestedEngineVersion)) return value as NestedEngineVersion;
  throw new UserError(`${source} is not an engine engine:up can start: ${acceptedEngines()}.`);
}

function imageStore(value: string, source: string): ImageStore {
  if (IMAGE_STORES.includes(value as ImageStore)) return value as ImageStore;
  throw new UserError(`${source} is not an image store: accepted values are ${listed(IMAGE_STORES)}.`);
}

/** `--name=value` or `--name value`, for the names given; anything else is a mistake worth a clear line. */
function readFlags(args: readonly string[], names: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]);
    if (!match || !names.includes(match[1])) {
      throw new UserError(`Unknown option "${args[i]}": engine:up and engine:down take ${listed(names.map((name) => `--${name}=<${name}>`))}, e.g. --engine=28.5 --store=containerd.`);
    }
    const value = match[2] ?? (args[i + 1]?.startsWith('--') ? undefined : args[++i]);
    if (value === undefined || value === '') throw new UserError(`--${match[1]} needs a value, e.g. --engine=28.5 --store=containerd.`);
    flags.set(match[1], value);
  }
  return flags;
}

/**
 * Which engine `engine:up` and `engine:down` are about: a nested one named by `--engine` (and `--store`, classic
 * by default), else undefined: the host engine, as before nested engines existed. Flags only, no variable: `npm test`
 * and `npm run images` run `engine:up` too, and a variable would start a nested engine they then do not use.
 */
export function parseEngineChoice(args: readonly string[]): NestedEngineChoice | undefined {
  const flags = readFlags(args, ['engine', 'store']);
  const engineFlag = flags.get('engine');
  const storeFlag = flags.get('store');
  if (engineFlag !== undefined) {
    return { engine: engineVersion(engineFlag, `--engine=${engineFlag}`), store: storeFlag === undefined ? 'classic' : imageStore(storeFlag, `--store=${storeFlag}`) };
  }
  if (storeFlag !== undefined) {
    // The host engine is whatever it is; a store is a choice only for an engine this tool starts nested.
    throw new UserError(`--store=${storeFlag} needs --engine (the host engine's store is its own): ${acceptedEngines()}.`);
  }
  return undefined;
}
