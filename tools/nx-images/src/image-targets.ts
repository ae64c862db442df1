import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { imageTestCommand, type ImageProject } from '@taskforge/image-model';
import { presenceVariable } from './image-presence';
import { releaseStepTargets, type ImageReleaseContext } from './release/release-step-targets';

/**
 * Project configuration Nx infers for one image folder. `toolInputs` tie the
 * cached image targets to the code that runs them (see image-tool-inputs.ts);
 * `release` is what its release steps need to know of the other images and nx.json.
 */
export function imageProjectConfiguration(
  image: ImageProject,
  toolInputs: NonNullable<TargetConfiguration['inputs']>,
  release: ImageReleaseContext,
): Omit<ProjectConfiguration, 'root'> {
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
      inputs: ['image-content', '^image-content', probe, ...toolInputs],
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
      inputs: [
        'image-content',
        '^image-content',
        probe,
        ...toolInputs,
        ...(image.definition.checks.testFiles ? [`{projectRoot}/${image.definition.checks.testFiles}/**/*`] : []),
      ],
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
        description: `Push ${name}'s content tag and ${name}:${image.version}-dev.<commit> (.dirty with uncommitted changes) to the registry and print the digest; release tags come from nx-release-publish only`,
        technologies,
      },
    },
    // Not cached: which registry digest the SBOM names depends on the engine's pushes, which no input covers.
    sbom: {
      executor: '@taskforge/nx-images:sbom',
      dependsOn: ['build-image'],
      cache: false,
      options: {},
      metadata: {
        description: `Print ${name}'s CycloneDX SBOM, read from the built image's own files (Debian, Python, npm packages, Go toolchain), and write it to dist/images/${image.project}/sbom.cdx.json (or --output)`,
        technologies,
      },
    },
    // Not cached: the answer is the registry's, now (a tag can move, a signature be added), which no input covers.
    'verify-image': {
      executor: '@taskforge/nx-images:verify-image',
      cache: false,
      options: {},
      metadata: {
        description: `Verify the cosign-format signature of ${name}:${image.version} (or --reference=<tag or digest>) in the registry with config/image-signing.pub (or IMAGE_SIGNING_PUBLIC_KEY[_FILE]) and print the verified digest`,
        technologies,
      },
    },
    // Not cached: the database and the waivers' expiry move every day, which no input covers.
    scan: {
      executor: '@taskforge/nx-images:scan',
      dependsOn: ['build-image'],
      cache: false,
      options: {},
      metadata: {
        description: `Scan ${name}'s Debian packages (from the built image, or --sbom=<CycloneDX file>) against nx.json's vulnerabilityDatabase, apply config/vulnerability-waivers.json, write dist/images/${image.project}/vulnerability-verdict.json and fail on findings with a fix at or above failOn`,
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
    // The steps of `nx release` for this image alone, for CI jobs that run them one by one, cached on the git state they read.
    ...releaseStepTargets(image, release, toolInputs),
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
