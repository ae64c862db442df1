import { resolveRegistry } from '@taskforge/engine';

/** The package name of the Nx plugin whose entry in nx.json carries the image settings. */
export const IMAGES_PLUGIN = '@taskforge/nx-images';

/** Workspace settings for images: the options of the plugin entry in nx.json (`{ "plugin": "@taskforge/nx-images", "options": {...} }`). */
export interface ImageSettings {
  /** Registry images are pushed to and content tags shared through (`localhost:5000` by default); IMAGE_REGISTRY overrides it. */
  registry?: string;
  /** Name prefixes only this repo's images use (`openclaw-` by default), so a typo in a FROM is an error, not a pull. */
  inRepoPrefixes?: string[];
  /**
   * The vulnerability database the `scan` target and the release gate read:
   * `{ format: 'debian-security-tracker' | 'osv', path | url, release: 'bookworm', failOn: 'high',
   * unknownSeverity: 'medium', waivers: 'config/vulnerability-waivers.json' }`. Validated (one-line
   * error naming nx.json and the field) by parseVulnerabilityDatabaseSettings of @taskforge/vulnerability-scan
   * when a scan reads it, so a mistake here never stops builds.
   */
  vulnerabilityDatabase?: unknown;
}

/** Settings with every default applied and the registry resolved (IMAGE_REGISTRY first). */
export interface ResolvedImageSettings {
  registry: string;
  inRepoPrefixes: string[];
}

export function resolveImageSettings(settings: ImageSettings | undefined, registryOverride?: string): ResolvedImageSettings {
  return {
    registry: resolveRegistry(registryOverride ?? settings?.registry),
    inRepoPrefixes: settings?.inRepoPrefixes ?? ['openclaw-'],
  };
}

/** The plugin entry's options in an nx.json (parsed), or undefined when it has none. */
export function imageSettingsOf(nxJson: { plugins?: Array<string | { plugin: string; options?: unknown }> } | undefined): ImageSettings | undefined {
  const entry = nxJson?.plugins?.find((plugin) => (typeof plugin === 'string' ? plugin : plugin.plugin) === IMAGES_PLUGIN);
  return typeof entry === 'object' ? (entry.options as ImageSettings | undefined) : undefined;
}
