import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ImageRecord } from '@taskforge/image-cache';

/** build-image's declared output: what it did, kept (and cached) per project. */
export function imageRecordPath(workspaceRoot: string, project: string): string {
  return join(workspaceRoot, 'dist', 'images', project, 'build-image.json');
}

export function writeImageRecord(workspaceRoot: string, record: ImageRecord): void {
  const file = imageRecordPath(workspaceRoot, record.project);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}

export function readImageRecord(workspaceRoot: string, project: string): ImageRecord | undefined {
  const file = imageRecordPath(workspaceRoot, project);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ImageRecord) : undefined;
}
