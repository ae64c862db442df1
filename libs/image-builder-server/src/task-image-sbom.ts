import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { artifactTag } from '@taskforge/engine';
import { attachSbom, imageSbom, ociPackageUrl, SBOM_PROPERTIES, type CycloneDxDocument } from '@taskforge/sbom';

/** A task image as pushed: what its SBOM's metadata.component names. */
export interface PushedTaskImage {
  registry: string;
  repository: string;
  /** The readable tag it was pushed under (`registry/repository:tag`). */
  tag: string;
  digest: string;
  /** The engine's image ID (its config digest). */
  imageId: string;
  architecture?: string;
  labels: Record<string, string>;
}

type Component = NonNullable<NonNullable<CycloneDxDocument['metadata']>['component']>;

/** The task image as the SBOM's subject, in the shape @taskforge/sbom gives a pushed image (so verify-image reads its digest). */
function taskImageComponent(image: PushedTaskImage): Component {
  const tag = image.tag.slice(image.tag.lastIndexOf(':') + 1);
  const repositoryUrl = `${image.registry}/${image.repository}`;
  const purl = ociPackageUrl(image.repository.split('/').pop()!, image.digest, { repositoryUrl, tag, arch: image.architecture });
  const properties: [string, string][] = [
    [SBOM_PROPERTIES.imageReference, image.tag],
    [SBOM_PROPERTIES.imageId, image.imageId],
    [SBOM_PROPERTIES.imageRepository, repositoryUrl],
    [SBOM_PROPERTIES.imageDigest, image.digest],
    ...Object.entries(image.labels).map(([key, value]): [string, string] => [`${SBOM_PROPERTIES.imageLabel}${key}`, value]),
  ];
  const description = image.labels['org.opencontainers.image.description'];
  return {
    type: 'container',
    'bom-ref': purl,
    name: image.repository,
    // The task image has no version of its own (the version label it inherits is the base's): its tag names it.
    version: tag,
    ...(description ? { description } : {}),
    purl,
    hashes: [{ alg: 'SHA-256', content: image.digest.replace(/^sha256:/, '') }],
    properties: properties.sort(([a, x], [b, y]) => a.localeCompare(b) || x.localeCompare(y)).map(([name, value]) => ({ name, value })),
  } as Component;
}

/**
 * The SBOMs of task images. A task image has exactly the files of its
 * capability layers image (it only adds labels), so the packages are read
 * once per capability set, from the layers image, and kept in memory by the
 * set's key; each task's SBOM is that document with the task image as its
 * subject, a serial number and a timestamp of its own. Reading an image takes
 * a container run and seconds; the per-task part is a copy and an attach.
 */
export class TaskImageSboms {
  private readonly bySet = new Map<string, Promise<CycloneDxDocument>>();

  constructor(private readonly docker: Docker) {}

  /** Starts (or joins) reading the packages of a capability set's layers image; a failed read is tried again next time. */
  forCapabilitySet(key: string, layersReference: string): Promise<CycloneDxDocument> {
    let document = this.bySet.get(key);
    if (!document) {
      document = imageSbom(this.docker, layersReference);
      this.bySet.set(key, document);
      document.catch(() => this.bySet.delete(key));
    }
    return document;
  }

  /** Attaches the set's SBOM, as the task image's, next to the pushed image (`sha256-<hex>.sbom`); returns the artifact's reference. */
  async attach(setSbom: CycloneDxDocument, image: PushedTaskImage): Promise<string> {
    const document: CycloneDxDocument = {
      ...setSbom,
      serialNumber: `urn:uuid:${randomUUID()}`,
      metadata: { ...setSbom.metadata, timestamp: new Date().toISOString(), component: taskImageComponent(image) },
    };
    await attachSbom(image.registry, image.repository, image.digest, JSON.stringify(document));
    return `${image.registry}/${image.repository}:${artifactTag(image.digest, 'sbom')}`;
  }
}
