import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import type { ImageProject } from '@taskforge/image-model';
import { presenceVariable } from './image-presence';

/** Project configuration Nx infers for one image folder. */
export function imageProjectConfiguration(image: ImageProject): Omit<ProjectConfiguration, 'root'> {
  const name = image.definition.name;
  const content = [
    ...new Set(['{projectRoot}/image.json', '{projectRoot}/VERSION', ...image.contextFiles.map((file) => `{projectRoot}/${file}`)]),
  ];
  // Ties a cached result to the image being in the engine (set per run by the plugin's preTasksExecution).
  const probe = { env: presenceVariable(image.project) };
  const technologies = ['docker'];
  const builtFrom = image.definition.rootfs ? `Debian ${image.definition.rootfs.suite} packages (mmdebstrap)` : image.dockerfile;

  const targets: Record<string, TargetConfiguration> = {
    'build-image': {
      executor: '@taskforge/nx-images:build-image',
      dependsOn: ['^build-image'],
      inputs: ['image-content', '^image-content', probe],
      outputs: ['{workspaceRoot}/dist/images/{projectName}/build-image.json'],
      cache: true,
      options: {},
      metadata: {
        description: `Build ${name}:${image.version} from ${builtFrom}, or reuse the image with the same content key from the engine or the registry`,
        technologies,
      },
    },
    'test-image': {
      executor: '@taskforge/nx-images:test-image',
      dependsOn: ['build-image'],
      inputs: ['image-content', '^image-content', probe, ...(image.definition.checks.testFiles ? [`{projectRoot}/${image.definition.checks.testFiles}/**/*`] : [])],
      cache: true,
      options: {},
      metadata: {
        description: `Run ${name}'s own checks in a container (user, workspace, labels${image.definition.checks.command ? ', test command' : ''})`,
        technologies,
      },
    },
    'share-image': {
      executor: '@taskforge/nx-images:share-image',
      dependsOn: ['build-image'],
      cache: false,
      options: {},
      metadata: {
        description: `Push only ${name}'s content tag so other machines (CI) reuse this build instead of repeating it`,
        technologies,
      },
    },
    'push-image': {
      executor: '@taskforge/nx-images:push-image',
      dependsOn: ['build-image'],
      cache: false,
      options: {},
      metadata: {
        description: `Push ${name}:${image.version}, :latest and the content tag to the registry and print the digest`,
        technologies,
      },
    },
  };

  return {
    name: image.project,
    projectType: 'application',
    tags: ['type:image'],
    namedInputs: { 'image-content': content },
    targets,
    // The exact build context, so tasks and hooks need not walk the folder again.
    metadata: { description: image.definition.description, technologies, image: { contextFiles: image.contextFiles } } as ProjectConfiguration['metadata'],
  };
}
