import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type engineClient, inspectLocalImage } from '@taskforge/engine';
import { readVersionFile } from '@taskforge/image-model';
import { REPO_ROOT } from '@taskforge/testing';
import { compare, valid } from 'semver';

type Docker = ReturnType<typeof engineClient>;

/**
 * Engine-reported bytes (`docker image inspect`, .Size) of each image at git 543cf62, before issue 12 took what only
 * builds out of the variants: what a size is compared with while the engine holds no earlier version of the image.
 */
const BASELINE_REVISION = '543cf62';
const BASELINE_BYTES: Record<string, { reference: string; bytes: number }> = {
  'openclaw-python': { reference: 'openclaw-python:1.0.0', bytes: 115_950_462 },
  'openclaw-base': { reference: 'openclaw-base:1.0.0', bytes: 116_858_367 },
  'openclaw-agent-ds': { reference: 'openclaw-agent-ds:1.0.0', bytes: 1_180_151_644 },
  'openclaw-agent-web': { reference: 'openclaw-agent-web:1.0.0', bytes: 805_766_777 },
  'openclaw-agent-code': { reference: 'openclaw-agent-code:1.0.0', bytes: 333_213_674 },
  'openclaw-agent-node': { reference: 'openclaw-agent-node:1.0.0', bytes: 296_963_277 },
  'openclaw-agent-go': { reference: 'openclaw-agent-go:1.0.0', bytes: 575_257_771 },
};

interface SizeRow {
  project: string;
  image: string;
  now: string;
  comparedWith: string;
  then: string;
  change: string;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function change(now: number, then: number): string {
  const sign = now >= then ? '+' : '-';
  return `${sign}${mb(Math.abs(now - then))} (${sign}${((Math.abs(now - then) / then) * 100).toFixed(1)}%)`;
}

/** Every image project of the repo: its Nx project, image name and VERSION, in folder order. */
function repoImages(): Array<{ project: string; name: string; version: string }> {
  return readdirSync(join(REPO_ROOT, 'images'), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('image.json'))
    .sort()
    .map((file) => {
      const definition = JSON.parse(readFileSync(join(REPO_ROOT, 'images', file), 'utf8')) as { name: string; project: string };
      const versionFile = join('images', dirname(file), 'VERSION');
      return { project: definition.project, name: definition.name, version: readVersionFile(join(REPO_ROOT, versionFile), versionFile) };
    });
}

/**
 * The engine's image of `name` at the highest version below `version`: the previous release, since VERSION moves only
 * when an image is released and build-image tags NAME:VERSION. Undefined when the engine holds none.
 */
async function previousVersionImage(docker: Docker, name: string, version: string): Promise<{ version: string; bytes: number } | undefined> {
  const images = await docker.listImages({ filters: JSON.stringify({ reference: [name] }) });
  const versions = images.flatMap((image) =>
    (image.RepoTags ?? [])
      .filter((tag) => tag.startsWith(`${name}:`))
      .map((tag) => ({ version: tag.slice(name.length + 1), bytes: image.Size }))
      .filter((tagged) => valid(tagged.version) === tagged.version && compare(tagged.version, version) < 0),
  );
  return versions.sort((a, b) => compare(a.version, b.version)).pop();
}

/** A row per image: the engine's size of NAME:VERSION against its previous version, else against the baseline above. */
async function sizeRows(docker: Docker): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  for (const { project, name, version } of repoImages()) {
    const image = `${name}:${version}`;
    const now = (await inspectLocalImage(docker, image))?.size;
    const previous = await previousVersionImage(docker, name, version);
    const baseline = BASELINE_BYTES[name];
    const reference = previous
      ? { label: `${name}:${previous.version} (previous version)`, bytes: previous.bytes }
      : baseline && { label: `${baseline.reference} at ${BASELINE_REVISION}`, bytes: baseline.bytes };
    rows.push({
      project,
      image,
      now: now === undefined ? `not in the engine: npx nx run ${project}:build-image` : mb(now),
      comparedWith: reference?.label ?? '(nothing to compare with)',
      then: reference ? mb(reference.bytes) : '-',
      change: now !== undefined && reference ? change(now, reference.bytes) : '-',
    });
  }
  return rows;
}

function toMarkdown(rows: SizeRow[]): string {
  const header: SizeRow = { project: 'project', image: 'image', now: 'size now', comparedWith: 'compared with', then: 'size then', change: 'change' };
  const keys = Object.keys(header) as Array<keyof SizeRow>;
  const widths = keys.map((k) => Math.max(...[header, ...rows].map((r) => r[k].length)));
  const line = (r: SizeRow) => `| ${keys.map((k, i) => r[k].padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Prints the size table of this repo's images as the engine holds them (build them first for the current sources). */
export async function printImageSizeChange(docker: Docker, log: (line: string) => void): Promise<void> {
  log('image sizes now against the previous version, or the baseline where the engine holds no earlier version');
  console.log(toMarkdown(await sizeRows(docker)));
}
