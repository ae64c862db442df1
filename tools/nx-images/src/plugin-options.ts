import { IMAGES_PLUGIN, imageSettingsOf, resolveImageSettings, type ImageSettings, type ResolvedImageSettings } from '@taskforge/image-build';
import type { NxJsonConfiguration } from '@nx/devkit';

/** Options of the plugin entry in nx.json: the workspace's image settings. */
export type ImagesPluginOptions = ImageSettings;

export const PLUGIN_NAME = IMAGES_PLUGIN;

/** The plugin's options with defaults applied and the registry resolved (IMAGE_REGISTRY first), once per call site. */
export function normalizeOptions(options: ImagesPluginOptions | undefined, registryOverride?: string): ResolvedImageSettings {
  return resolveImageSettings(options, registryOverride);
}

/** The plugin's options as nx.json sets them, for executors and release code that run outside the plugin. */
export function optionsFromNxJson(nxJson: NxJsonConfiguration | undefined, registryOverride?: string): ResolvedImageSettings {
  return resolveImageSettings(imageSettingsOf(nxJson as Parameters<typeof imageSettingsOf>[0]), registryOverride);
}
