import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { imageTestCommand, type ImageProject } from '@taskforge/image-model';
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
        description: `Run ${name}'s own checks in a container (user, workspace, labels${imageTestCommand(image.definition.checks) ? ', test command' : ''})`,
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
    'refresh-packages': {
      executor: '@taskforge/nx-images:refresh-packages',
      cache: false,
      options: {},
      metadata: {
        description: `Security refresh: build ${name} again without cache and list the Debian packages that moved since its last release`,
        technologies,
      },
    },
    // The steps of `nx release` for this image alone, for CI jobs that run them one by one. Not cached: they read git history, which no input covers.
    'release-version': {
      executor: 'nx:run-commands',
      cache: false,
      options: { command: 'nx release version --projects={projectName} --git-commit=false --git-tag=false', forwardAllArgs: true },
      metadata: { description: `Bump ${name}'s VERSION from its conventional commits (and the images built FROM it), as \`nx release version\` does`, technologies },
    },
    'release-changelog': {
      executor: 'nx:run-commands',
      cache: false,
      options: { command: 'nx release changelog "$(cat {projectRoot}/VERSION)" --projects={projectName} --git-commit=false --git-tag=false', forwardAllArgs: true },
      metadata: { description: `Write ${name}'s CHANGELOG.md entry for its VERSION, as \`nx release changelog\` does`, technologies },
    },
    'release-tag': {
      executor: '@taskforge/nx-images:release-tag',
      cache: false,
      options: {},
      metadata: { description: `Tag HEAD as ${image.project}-v<VERSION> (annotated) unless that tag exists`, technologies },
    },
    // The name Nx release runs for `nx release publish`; parents publish first.
    'nx-release-publish': {
      executor: '@taskforge/nx-images:release-publish',
      dependsOn: ['^nx-release-publish'],
      cache: false,
      options: {},
      metadata: {
        description: `Publish the released ${name} (its VERSION, which must carry its git tag): build or reuse, run its checks, push X.Y.Z, X.Y, X and latest`,
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
