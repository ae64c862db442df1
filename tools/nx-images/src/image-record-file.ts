import type { ImageRecord } from '@taskforge/image-build';
import { readProjectOutput, writeProjectOutput } from './project-output-file';

/** build-image's declared output (`outputs` in the target): what it did, kept (and cached) per project. */
const FILE = 'build-image.json';

export function writeImageRecord(workspaceRoot: string, record: ImageRecord): void {
  writeProjectOutput(workspaceRoot, record.project, FILE, record);
}

export function readImageRecord(workspaceRoot: string, project: string): ImageRecord | undefined {
  return readProjectOutput<ImageRecord>(workspaceRoot, project, FILE);
}
