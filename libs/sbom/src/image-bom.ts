import { Enums, Models } from '@cyclonedx/cyclonedx-library';
import type { ImageContents } from './image-contents';
import type { ImageDescription } from './image-description';
import { declaredLicenses, debianLicenses, pythonLicenses } from './licenses';
import { debianPackageUrl, goStdlibPackageUrl, npmPackageUrl, ociPackageUrl, pythonPackageUrl, type Distribution } from './package-url';

/** Property names of this repo's own facts (CycloneDX asks for a namespace per producer). */
export const SBOM_PROPERTIES = {
  debSource: 'taskforge:deb:source',
  debSourceVersion: 'taskforge:deb:source-version',
  path: 'taskforge:path',
  imageId: 'taskforge:image:id',
  imageReference: 'taskforge:image:reference',
  imageRepository: 'taskforge:image:repository',
  imageDigest: 'taskforge:image:digest',
  imageLabel: 'taskforge:image:label:',
} as const;

// Debian bookworm, when an image has no os-release to say which Debian it is.
const DEFAULT_DISTRIBUTION: Distribution = { id: 'debian', versionId: '12' };

function properties(entries: [string, string | undefined][]): Models.PropertyRepository {
  return new Models.PropertyRepository(entries.filter((entry): entry is [string, string] => entry[1] !== undefined).map(([name, value]) => new Models.Property(name, value)));
}

/** The image as the SBOM's subject: its manifest digest in the purl and hashes once pushed, its config ID and labels always. */
export function imageComponent(image: ImageDescription): Models.Component {
  const purl = image.pushed
    ? ociPackageUrl(image.name.split('/').pop()!, image.pushed.digest, { repositoryUrl: image.pushed.repository, tag: image.tag, arch: image.architecture })
    : undefined;
  const component = new Models.Component(Enums.ComponentType.Container, image.name, {
    bomRef: purl ?? `image:${image.imageId}`,
    version: image.version,
    purl,
    description: image.labels['org.opencontainers.image.description'],
    properties: properties([
      [SBOM_PROPERTIES.imageReference, image.reference],
      [SBOM_PROPERTIES.imageId, image.imageId],
      [SBOM_PROPERTIES.imageRepository, image.pushed?.repository],
      [SBOM_PROPERTIES.imageDigest, image.pushed?.digest],
      ...Object.entries(image.labels).map(([key, value]): [string, string] => [`${SBOM_PROPERTIES.imageLabel}${key}`, value]),
    ]),
  });
  if (image.pushed) component.hashes.set(Enums.HashAlgorithm['SHA-256'], image.pushed.digest.replace(/^sha256:/, ''));
  return component;
}

/**
 * The CycloneDX model of an image: the image as `metadata.component`, then its
 * operating system, Debian packages, Python distributions, npm packages and Go
 * toolchains as components. A package found twice (two copies of one
 * distribution) keeps both, told apart by where each is.
 */
export function imageBom(image: ImageDescription, contents: ImageContents, document: { tools: { name: string; version: string }[]; timestamp: Date; serialNumber: string }): Models.Bom {
  const bom = new Models.Bom({ serialNumber: document.serialNumber });
  bom.metadata.timestamp = document.timestamp;
  bom.metadata.component = imageComponent(image);
  for (const { name, version } of document.tools) bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Library, name, { version }));

  const refs = new Set<string>();
  const add = (type: Enums.ComponentType, name: string, purl: string, location: string | undefined, op: Partial<Models.OptionalComponentProperties>) => {
    const bomRef = refs.has(purl) ? `${purl}#${location}` : purl;
    refs.add(bomRef);
    bom.components.add(new Models.Component(type, name, { bomRef, purl, ...op }));
  };

  const distribution = contents.os ?? DEFAULT_DISTRIBUTION;
  if (contents.os) {
    bom.components.add(new Models.Component(Enums.ComponentType.OperatingSystem, contents.os.id, { bomRef: `os:${contents.os.id}@${contents.os.version}`, version: contents.os.version, description: contents.os.prettyName }));
  }
  for (const pkg of contents.debian) {
    add(Enums.ComponentType.Library, pkg.name, debianPackageUrl(pkg, distribution), pkg.location, {
      version: pkg.version,
      licenses: new Models.LicenseRepository(pkg.licenses ? debianLicenses(pkg.licenses) : []),
      properties: properties([
        [SBOM_PROPERTIES.debSource, pkg.source],
        [SBOM_PROPERTIES.debSourceVersion, pkg.sourceVersion],
      ]),
    });
  }
  for (const distribution of contents.python) {
    add(Enums.ComponentType.Library, distribution.name, pythonPackageUrl(distribution.name, distribution.version), distribution.location, {
      version: distribution.version,
      licenses: new Models.LicenseRepository(pythonLicenses(distribution)),
      properties: properties([[SBOM_PROPERTIES.path, distribution.location]]),
    });
  }
  for (const pkg of contents.npm) {
    const scoped = /^(@[^/]+)\/(.+)$/.exec(pkg.name);
    add(Enums.ComponentType.Library, scoped ? scoped[2] : pkg.name, npmPackageUrl(pkg.name, pkg.version), pkg.location, {
      group: scoped?.[1],
      version: pkg.version,
      licenses: new Models.LicenseRepository(pkg.licenses.length > 0 ? declaredLicenses(pkg.licenses) : []),
      properties: properties([[SBOM_PROPERTIES.path, pkg.location]]),
    });
  }
  for (const toolchain of contents.go) {
    add(Enums.ComponentType.Library, 'stdlib', goStdlibPackageUrl(toolchain.version), toolchain.location, {
      version: toolchain.version,
      description: `Go ${toolchain.version} toolchain and standard library`,
      properties: properties([[SBOM_PROPERTIES.path, toolchain.location]]),
    });
  }
  return bom;
}
