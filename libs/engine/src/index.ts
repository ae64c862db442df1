export { engineAddress, engineClient, assertEngineReachable, isEngineReachable } from './connect';
export { DEFAULT_REGISTRY, resolveRegistry, registryBaseUrl } from './registry-address';
