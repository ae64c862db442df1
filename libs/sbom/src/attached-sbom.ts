import { artifactTag, pushArtifact, readArtifact, resolveManifest, type ContentDescriptor } from '@taskforge/engine';
import { UserError } from '@taskforge/user-errors';
import { SBOM_PROPERTIES } from './image-bom';
import { validateSbomJson, type CycloneDxDocument } from './sbom-json';

/** The media type of a CycloneDX JSON document, as the artifact's type and its one layer's. */
export const CYCLONEDX_JSON = 'application/vnd.cyclonedx+json';
const MAX_SBOM_BYTES = 64 * 1024 * 1024;

/** The registry manifest digest an SBOM says it describes (`metadata.component`), or undefined when it names none. */
export function sbomImageDigest(sbom: CycloneDxDocument): string | undefined {
  return sbom.metadata?.component?.properties?.find((property) => property.name === SBOM_PROPERTIES.imageDigest)?.value;
}

function parseSbom(json: string, what: string): CycloneDxDocument {
  try {
    return JSON.parse(json) as CycloneDxDocument;
  } catch (error) {
    throw new UserError(`${what} is not JSON (${(error as Error).message}).`);
  }
}

/**
 * Stores an image's SBOM next to it in the registry: an OCI artifact tagged
 * `sha256-<hex>.sbom` (cosign's tag scheme, for registries without the
 * referrers API) whose `subject` is the image's manifest (for those with it),
 * with the document as its one `application/vnd.cyclonedx+json` layer. The
 * SBOM must be valid and name this very digest in its metadata, so an SBOM is
 * never attached to an image it does not describe. Pushing it again is
 * harmless: the tag then points at the newer document.
 */
export async function attachSbom(registry: string, repository: string, imageDigest: string, sbomJson: string): Promise<{ tag: string; manifest: ContentDescriptor }> {
  const tag = artifactTag(imageDigest, 'sbom');
  const image = `${registry}/${repository}@${imageDigest}`;
  await validateSbomJson(sbomJson, `the SBOM for ${image}`);
  const named = sbomImageDigest(parseSbom(sbomJson, `the SBOM for ${image}`));
  if (named !== imageDigest) {
    throw new UserError(`the SBOM for ${image} describes ${named ?? 'an image not yet pushed'}: make it for the pushed image with imageSbom(docker, reference, { repository, digest }).`);
  }
  const subject = await resolveManifest(registry, repository, imageDigest);
  if (!subject) throw new UserError(`${image} is not in the registry: push the image before attaching its SBOM.`);
  const manifest = await pushArtifact(registry, repository, tag, {
    artifactType: CYCLONEDX_JSON,
    layers: [{ mediaType: CYCLONEDX_JSON, data: Buffer.from(sbomJson), annotations: { 'org.opencontainers.image.title': 'sbom.cdx.json' } }],
    subject,
  });
  return { tag, manifest };
}

/**
 * The SBOM attached to an image digest, validated and checked to describe that
 * digest; undefined when none is attached.
 */
export async function readAttachedSbom(registry: string, repository: string, imageDigest: string): Promise<{ sbom: CycloneDxDocument; json: string; manifest: ContentDescriptor } | undefined> {
  const tag = artifactTag(imageDigest, 'sbom');
  const artifact = await readArtifact(registry, repository, tag, { maxLayerBytes: MAX_SBOM_BYTES });
  if (!artifact) return undefined;
  const where = `${registry}/${repository}:${tag}`;
  const layer = artifact.layers.find((candidate) => candidate.descriptor.mediaType === CYCLONEDX_JSON);
  if (!layer) throw new UserError(`${where} holds no ${CYCLONEDX_JSON} layer; it is not an SBOM this repo attached.`);
  const json = layer.data.toString('utf8');
  await validateSbomJson(json, where);
  const sbom = parseSbom(json, where);
  const named = sbomImageDigest(sbom);
  if (named !== imageDigest) throw new UserError(`${where} describes ${named ?? 'no registry digest'}, not ${imageDigest}: the SBOM was attached to the wrong image; attach the right one again.`);
  return { sbom, json, manifest: artifact.descriptor };
}
