import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where an image target keeps what it found for one project: `dist/images/<project>/<file>`. */
export function projectOutputPath(workspaceRoot: string, project: string, file: string): string {
  return join(workspaceRoot, 'dist', 'images', project, file);
}

export function writeProjectOutput(workspaceRoot: string, project: string, file: string, value: unknown): void {
  const path = projectOutputPath(workspaceRoot, project, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

export function readProjectOutput<T>(workspaceRoot: string, project: string, file: string): T | undefined {
  const path = projectOutputPath(workspaceRoot, project, file);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}
