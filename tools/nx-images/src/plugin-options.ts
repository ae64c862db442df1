import type { NxJsonConfiguration } from '@nx/devkit';

/** Options of the plugin entry in nx.json (`{ "plugin": "@taskforge/nx-images", "options": {...} }`). */
export interface ImagesPluginOptions {
  /** Registry images are pushed to and content tags shared through; IMAGE_REGISTRY overrides it. */
  registry?: string;
  /** Name prefixes only this repo's images use, so a typo in a FROM is an error, not a pull. */
  inRepoPrefixes?: string[];
}

export const PLUGIN_NAME = '@taskforge/nx-images';

export function normalizeOptions(options: ImagesPluginOptions | undefined): Required<ImagesPluginOptions> {
  return {
    registry: options?.registry ?? 'localhost:5000',
    inRepoPrefixes: options?.inRepoPrefixes ?? ['openclaw-'],
  };
}

/** The plugin's options as nx.json sets them, for executors that run outside the plugin. */
export function optionsFromNxJson(nxJson: NxJsonConfiguration | undefined): Required<ImagesPluginOptions> {
  const entry = nxJson?.plugins?.find((plugin) => (typeof plugin === 'string' ? plugin : plugin.plugin) === PLUGIN_NAME);
  return normalizeOptions(typeof entry === 'object' ? (entry.options as ImagesPluginOptions) : undefined);
}
