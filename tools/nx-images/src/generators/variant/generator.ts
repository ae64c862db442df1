import { generateFiles, getProjects, globAsync, joinPathFragments, names, type Tree } from '@nx/devkit';
import { join, posix } from 'node:path';
import type { VariantGeneratorSchema } from './schema';

const VARIANT_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const IMAGE_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;

/** A mistake in the generator's options: Nx prints the message, the tree is left untouched. */
class VariantOptionError extends Error {}

function readJson<T>(tree: Tree, path: string): T {
  return JSON.parse(tree.read(path, 'utf-8') ?? 'null') as T;
}

/** Scaffolds images/variants/<name>: builds FROM the base, passes test-image as generated, shows up in the graph. */
export async function variantGenerator(tree: Tree, options: VariantGeneratorSchema): Promise<void> {
  const name = options.name.trim();
  if (!VARIANT_NAME.test(name)) {
    throw new VariantOptionError(`variant name "${name}" is not valid: use lowercase letters, digits and single dashes, e.g. "data-tools".`);
  }
  const project = `agent-${name}`;
  const image = options.image ?? `openclaw-agent-${name}`;
  if (!IMAGE_NAME.test(image)) throw new VariantOptionError(`image name "${image}" is not a valid image name: use lowercase letters, digits, '.', '_' or '-'.`);
  const directory = joinPathFragments('images/variants', name);

  // Image projects are inferred from image.json (not project.json), so look for those as well as Nx's own projects.
  const imageProjects = (await globAsync(tree, ['**/image.json'])).map((file) => {
    const definition = readJson<{ name?: string; project?: string }>(tree, file);
    const root = posix.dirname(file);
    return { root, project: definition.project ?? posix.basename(root), image: definition.name };
  });
  const projects = getProjects(tree);
  const clash = imageProjects.find((p) => p.project === project)?.root ?? projects.get(project)?.root;
  if (clash !== undefined) throw new VariantOptionError(`a project named "${project}" already exists (${clash}): choose another variant name.`);
  if (tree.exists(directory)) throw new VariantOptionError(`${directory} already exists: choose another variant name or remove that folder.`);
  const sameImage = imageProjects.find((p) => p.image === image);
  if (sameImage) throw new VariantOptionError(`image "${image}" is already built by project ${sameImage.project}: choose another variant name or pass --image.`);

  const packages = options.packages.split(/[\s,]+/).filter(Boolean);
  if (packages.length === 0) throw new VariantOptionError('--packages names no Debian package: pass at least one, e.g. --packages="rustc cargo".');
  const invalid = packages.filter((p) => !DEBIAN_PACKAGE.test(p));
  if (invalid.length) throw new VariantOptionError(`--packages: ${invalid.map((p) => `"${p}"`).join(', ')} is not a Debian package name.`);

  const baseProject = options.baseProject ?? 'agent-base';
  const base = imageProjects.find((p) => p.project === baseProject);
  if (!base?.image) {
    throw new VariantOptionError(`base project "${baseProject}" is not an image project of this workspace: pass --baseProject with one that has an image.json.`);
  }
  const baseImage = base.image;
  const baseVersion = (tree.read(join(base.root, 'VERSION'), 'utf-8') ?? '').trim();
  const description = options.description ?? `Agent image with ${packages.join(', ')} from Debian.`;

  generateFiles(tree, join(__dirname, 'files'), directory, {
    name,
    project,
    image,
    packages,
    description,
    baseImage,
    baseVersion,
    fileName: names(name).fileName.replace(/-/g, '_'),
    className: names(name).className,
    template: '',
  });
  tree.write(
    join(directory, 'image.json'),
    `${JSON.stringify(
      {
        $schema: '../../../libs/image-model/image-definition.schema.json',
        name: image,
        project,
        description,
        checks: {
          user: 1001,
          workspace: '/workspace',
          testFiles: 'tests',
        },
      },
      null,
      2,
    )}\n`,
  );
  tree.write(
    join(directory, '.dockerignore'),
    ['# Only what the image needs goes into the build context (and its content key).', 'README.md', 'CHANGELOG.md', 'VERSION', 'image.json', 'tests/', '**/__pycache__', ''].join('\n'),
  );
}

export default variantGenerator;
