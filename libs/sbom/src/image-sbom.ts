import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { imageBom, imageComponent } from './image-bom';
import { imageContents } from './image-contents';
import { describeImage, type DescribeOptions, type PushedImage } from './image-description';
import { readImageFiles } from './image-files';
import { startSchemaValidator } from './schema-validator';
import { normalizeComponent, serializeBom, validateSbomJson, type CycloneDxDocument } from './sbom-json';

export interface ImageSbomOptions extends DescribeOptions {
  /** metadata.timestamp; now by default. */
  timestamp?: Date;
}

/** The tools metadata names: this library and the CycloneDX library that wrote the document. */
function tools(): { name: string; version: string }[] {
  return [require('../package.json'), require('@cyclonedx/cyclonedx-library/package.json')].map(({ name, version }: { name: string; version: string }) => ({ name, version }));
}

/**
 * The CycloneDX 1.6 SBOM of an image the engine has, read from the image's own
 * files (dpkg's status database, Python metadata, package.json files, Go
 * VERSION files; see read-image-files.py), validated against the 1.6 schema.
 * With `repository` (and `digest`) it names the registry copy the SBOM is for.
 */
export async function imageSbom(docker: Docker, imageReference: string, options: ImageSbomOptions = {}): Promise<CycloneDxDocument> {
  startSchemaValidator();
  const image = await describeImage(docker, imageReference, options);
  const files = await readImageFiles(docker, image.imageId);
  const json = serializeBom(imageBom(image, imageContents(files), { tools: tools(), timestamp: options.timestamp ?? new Date(), serialNumber: `urn:uuid:${randomUUID()}` }));
  await validateSbomJson(json, `the SBOM of ${imageReference}`);
  return JSON.parse(json) as CycloneDxDocument;
}

/**
 * The SBOM of an image read before it was pushed, made about its pushed copy:
 * the same components, with `metadata.component` naming the registry's
 * manifest digest (purl, hash, properties), a serial number and timestamp of
 * its own. Saves reading the image a second time once the push gave the digest.
 */
export async function sbomForPushedImage(docker: Docker, sbom: CycloneDxDocument, imageReference: string, pushed: PushedImage, options: { timestamp?: Date } = {}): Promise<CycloneDxDocument> {
  startSchemaValidator();
  const component = normalizeComponent(imageComponent(await describeImage(docker, imageReference, pushed)));
  const previous = sbom.metadata?.component?.['bom-ref'];
  const document: CycloneDxDocument = {
    ...sbom,
    serialNumber: `urn:uuid:${randomUUID()}`,
    metadata: { ...sbom.metadata, timestamp: (options.timestamp ?? new Date()).toISOString(), component },
    // Sorted by ref again, as the serializer sorts them, so the document is the one imageSbom would give.
    dependencies: sbom.dependencies
      ?.map((dependency) => (dependency.ref === previous ? { ...dependency, ref: component['bom-ref']! } : dependency))
      .sort((a, b) => a.ref.localeCompare(b.ref)),
  };
  const json = JSON.stringify(document);
  await validateSbomJson(json, `the SBOM of ${pushed.repository}@${pushed.digest}`);
  return JSON.parse(json) as CycloneDxDocument;
}

/** The SBOM file of an image project: `dist/images/<project>/sbom.cdx.json`. */
export function sbomFile(workspaceRoot: string, project: string): string {
  return join(workspaceRoot, 'dist', 'images', project, 'sbom.cdx.json');
}

/** Writes an SBOM as indented JSON (creating folders); returns the exact text written, for attaching the same bytes. */
export function writeSbom(file: string, sbom: CycloneDxDocument): string {
  const text = `${JSON.stringify(sbom, null, 2)}\n`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return text;
}
