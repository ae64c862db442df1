/** The registry images are pushed to and content tags are shared through. */
export const DEFAULT_REGISTRY = 'localhost:5000';

/**
 * IMAGE_REGISTRY wins over the workspace setting (nx.json plugin option
 * `registry`), which wins over the local default.
 */
export function resolveRegistry(configured?: string): string {
  return (process.env.IMAGE_REGISTRY || configured || DEFAULT_REGISTRY).replace(/\/+$/, '');
}

/** Registries on loopback are spoken to over plain HTTP, as the engine does. */
export function registryBaseUrl(registry: string): string {
  const host = registry.split('/')[0];
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
  return `${loopback ? 'http' : 'https'}://${host}`;
}
