import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { engineClient, importRootfs, inspectLocalImage, pushAs, readArtifact, removeImage, runContainer } from '@taskforge/engine';
import { attachSbom, CYCLONEDX_JSON, imageSbom, readAttachedSbom, SBOM_PROPERTIES, sbomForPushedImage, stopSchemaValidator, validateSbomJson, type CycloneDxDocument } from '../src';
import { REPO_ROOT, repoImage, startScratchRegistry, type ScratchRegistry } from '@taskforge/testing';

// The real images the repo builds (Nx builds them before the suite) and a registry of this suite's own.
jest.setTimeout(180_000);
const docker = engineClient();
const REGISTRY_PORT = 5311;
afterAll(() => stopSchemaValidator());

type Component = NonNullable<CycloneDxDocument['components']>[number];

function property(component: { properties?: { name?: string; value?: string }[] } | undefined, name: string): string | undefined {
  return component?.properties?.find((entry) => entry.name === name)?.value;
}

function debComponents(sbom: CycloneDxDocument): Component[] {
  return (sbom.components ?? []).filter((component) => component.purl?.startsWith('pkg:deb/'));
}

/** What dpkg itself says is installed in the image, asked in a container of it: `name arch -> version`. */
async function dpkgInstalled(image: string): Promise<Map<string, string>> {
  const result = await runContainer(docker, {
    image,
    entrypoint: ['dpkg-query'],
    cmd: ['-W', '-f', '${Package} ${Architecture} ${Version} ${db:Status-Status}\\n'],
    hostConfig: { NetworkMode: 'none' },
  });
  expect(result.exitCode).toBe(0);
  const installed = new Map<string, string>();
  for (const line of result.stdout.trim().split('\n')) {
    const [name, architecture, version, state] = line.split(' ');
    if (state === 'installed') installed.set(`${name} ${architecture}`, version);
  }
  return installed;
}

async function runIn(image: string, entrypoint: string, ...cmd: string[]): Promise<string> {
  const result = await runContainer(docker, { image, entrypoint: [entrypoint], cmd, env: { HOME: '/tmp' }, hostConfig: { NetworkMode: 'none' } });
  expect(result.exitCode).toBe(0);
  return result.stdout.trim();
}

describe('imageSbom on the base image', () => {
  let image: string;
  let sbom: CycloneDxDocument;
  beforeAll(async () => {
    image = await repoImage('agent-base');
    sbom = await imageSbom(docker, image);
  });

  it('is a valid CycloneDX 1.6 document', async () => {
    expect(sbom.bomFormat).toBe('CycloneDX');
    expect(sbom.specVersion).toBe('1.6');
    expect(sbom.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    await expect(validateSbomJson(JSON.stringify(sbom), 'the base SBOM')).resolves.toBeUndefined();
  });

  it('describes the image itself: a container with its version, image ID and OCI labels', async () => {
    const local = await inspectLocalImage(docker, image);
    const subject = sbom.metadata!.component!;
    expect(subject.type).toBe('container');
    expect(subject.name).toBe('openclaw-base');
    expect(subject.version).toBe(local!.labels['org.opencontainers.image.version']);
    expect(property(subject, SBOM_PROPERTIES.imageId)).toBe(local!.id);
    expect(property(subject, `${SBOM_PROPERTIES.imageLabel}org.opencontainers.image.revision`)).toBe(local!.labels['org.opencontainers.image.revision']);
  });

  it('has python3.11 as a Debian package built from the python3.11 source', () => {
    const python = debComponents(sbom).find((component) => component.name === 'python3.11');
    expect(python).toBeDefined();
    expect(property(python, 'taskforge:deb:source')).toBe('python3.11');
    expect(python!.purl).toBe(`pkg:deb/debian/python3.11@${encodeURIComponent(python!.version!)}?arch=amd64&distro=debian-12`);
  });

  it('lists exactly the packages dpkg says are installed, at the versions dpkg recorded', async () => {
    const installed = await dpkgInstalled(image);
    const listed = new Map(debComponents(sbom).map((component) => [`${component.name} ${/arch=([^&]+)/.exec(component.purl!)![1]}`, component.version]));
    expect(listed).toEqual(installed);
  });

  it('keeps the licences Debian declares in machine-readable copyright files', () => {
    const adduser = debComponents(sbom).find((component) => component.name === 'adduser');
    expect(adduser?.licenses).toEqual([{ license: { id: 'GPL-2.0-or-later' } }]);
  });
});

describe('imageSbom on the variants', () => {
  it('finds in the data-science image a package only its packages pulled in, with the version dpkg recorded, as deb and as pypi', async () => {
    const image = await repoImage('agent-data-science');
    // python3-dateutil comes in as a dependency of python3-pandas; packages.txt does not ask for it.
    const asked = readFileSync(join(REPO_ROOT, 'images/variants/data-science/packages.txt'), 'utf8');
    expect(asked.split('\n').map((line) => line.trim())).not.toContain('python3-dateutil');
    const [sbom, installed] = await Promise.all([imageSbom(docker, image), dpkgInstalled(image)]);
    const deb = debComponents(sbom).find((component) => component.name === 'python3-dateutil');
    expect(deb?.version).toBe(installed.get('python3-dateutil all'));
    expect(property(deb, 'taskforge:deb:source')).toBe('python-dateutil');
    const pypi = sbom.components!.find((component) => component.purl?.startsWith('pkg:pypi/python-dateutil@'));
    expect(pypi?.version).toBe(installed.get('python3-dateutil all')!.replace(/-[^-]+$/, ''));
  });

  it('lists the node image npm as an npm package at the version npm reports', async () => {
    const image = await repoImage('agent-node');
    const [sbom, version] = await Promise.all([imageSbom(docker, image), runIn(image, 'npm', '--version')]);
    const npm = sbom.components!.filter((component) => component.purl?.startsWith('pkg:npm/npm@'));
    expect(npm.map((component) => component.version)).toEqual([version]);
  });

  it('lists the go image toolchain as pkg:golang/stdlib at the version go reports', async () => {
    const image = await repoImage('agent-go');
    const [sbom, version] = await Promise.all([imageSbom(docker, image), runIn(image, 'go', 'version')]);
    const stdlib = sbom.components!.filter((component) => component.purl?.startsWith('pkg:golang/stdlib@'));
    expect(stdlib.map((component) => `go version go${component.version} linux/amd64`)).toEqual([version]);
  });
});

describe('an SBOM of a pushed image, attached in the registry', () => {
  let registry: ScratchRegistry;
  let reference: string;
  let digest: string;
  let sbom: CycloneDxDocument;
  const repository = 'openclaw-base';
  beforeAll(async () => {
    registry = await startScratchRegistry(REGISTRY_PORT);
    reference = `${registry.address}/${repository}:sbom-test`;
    ({ digest } = await pushAs(docker, await repoImage('agent-base'), reference));
    sbom = await imageSbom(docker, reference, { repository: `${registry.address}/${repository}` });
  });
  afterAll(async () => {
    await removeImage(docker, reference);
    await registry.remove();
  });

  it('names the manifest digest the registry stored, in the purl, the hash and a property', () => {
    const subject = sbom.metadata!.component!;
    expect(subject.purl).toBe(`pkg:oci/openclaw-base@${encodeURIComponent(digest)}?arch=amd64&repository_url=${encodeURIComponent(`${registry.address}/${repository}`)}&tag=sbom-test`);
    expect(subject.hashes).toEqual([{ alg: 'SHA-256', content: digest.replace('sha256:', '') }]);
    expect(property(subject, SBOM_PROPERTIES.imageDigest)).toBe(digest);
  });

  it('is attached as sha256-<hex>.sbom: a CycloneDX layer whose subject is the image manifest, read back intact', async () => {
    const json = JSON.stringify(sbom);
    const { tag } = await attachSbom(registry.address, repository, digest, json);
    expect(tag).toBe(`${digest.replace(':', '-')}.sbom`);
    const artifact = await readArtifact(registry.address, repository, tag);
    expect(artifact!.manifest.subject?.digest).toBe(digest);
    expect(artifact!.manifest.artifactType).toBe(CYCLONEDX_JSON);
    expect(artifact!.layers.map((layer) => layer.descriptor.mediaType)).toEqual([CYCLONEDX_JSON]);
    expect((await readAttachedSbom(registry.address, repository, digest))!.json).toBe(json);
  });

  it('refuses to attach an SBOM that does not name the digest', async () => {
    const unpushed = await imageSbom(docker, await repoImage('agent-base'));
    await expect(attachSbom(registry.address, repository, digest, JSON.stringify(unpushed))).rejects.toThrow(/describes an image not yet pushed/);
  });

  it('turns an SBOM read before the push into the pushed copy\'s without reading the image again', async () => {
    const unpushed = await imageSbom(docker, reference);
    const rebound = await sbomForPushedImage(docker, unpushed, reference, { repository: `${registry.address}/${repository}`, digest });
    const comparable = (document: CycloneDxDocument) => ({ ...document, serialNumber: undefined, metadata: { ...document.metadata, timestamp: undefined } });
    expect(comparable(rebound)).toEqual(comparable(sbom));
    expect(rebound.serialNumber).not.toBe(unpushed.serialNumber);
  });

  it('says there is no SBOM for a digest nothing was attached to', async () => {
    await expect(readAttachedSbom(registry.address, repository, `sha256:${'0'.repeat(64)}`)).resolves.toBeUndefined();
  });
});

describe('an image without python3', () => {
  const reference = 'taskforge-sbom-test-no-python:1';
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbom-no-python-'));
    const tarball = join(dir, 'rootfs.tar');
    const archive = pack();
    archive.entry({ name: 'etc/os-release' }, 'ID=debian\nVERSION_ID="12"\n');
    archive.finalize();
    await finished(archive.pipe(createWriteStream(tarball)));
    await importRootfs(docker, { tarball, reference, changes: [] });
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(() => removeImage(docker, reference));

  it('is refused in one line that says why', async () => {
    await expect(imageSbom(docker, reference)).rejects.toThrow(/has no python3 on its PATH: .*install python3 in the image\.$/);
  });
});
