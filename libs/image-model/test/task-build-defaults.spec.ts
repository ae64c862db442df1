import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTaskBuildDefaults, readTaskBuildDefaults, TASK_BUILD_DEFAULTS_FILE } from '../src/task-build-defaults';

describe('task build defaults (config/task-builds.json)', () => {
  it('reads the default base image', () => {
    expect(parseTaskBuildDefaults('{ "defaultBaseImage": "openclaw-base:1.0.1" }')).toEqual({ defaultBaseImage: 'openclaw-base:1.0.1' });
  });

  it.each([
    ['{ "defaultBaseImage": "openclaw-base" }', 'field "defaultBaseImage": an image NAME:VERSION without a registry'],
    ['{ "defaultBaseImage": "localhost:5000/openclaw-base:1.0.0" }', 'field "defaultBaseImage": an image NAME:VERSION without a registry'],
    ['{ "defaultBaseImage": "openclaw-base:1.0.0", "extra": 1 }', 'field "(top level)"'],
    ['{ "defaultBaseImage": ', 'not valid JSON'],
  ])('refuses %s in one line naming the file and field', (text, message) => {
    expect(() => parseTaskBuildDefaults(text)).toThrow(new RegExp(`^${TASK_BUILD_DEFAULTS_FILE.replace('.', '\\.')}: .*${message.replace(/[()]/g, '\\$&')}`));
  });

  it('is the repo file services read, and absent in a workspace without one', () => {
    const root = mkdtempSync(join(tmpdir(), 'task-builds-'));
    try {
      expect(readTaskBuildDefaults(root)).toBeUndefined();
      mkdirSync(join(root, 'config'));
      writeFileSync(join(root, TASK_BUILD_DEFAULTS_FILE), '{ "defaultBaseImage": "openclaw-base:2.0.0" }\n');
      expect(readTaskBuildDefaults(root)?.defaultBaseImage).toBe('openclaw-base:2.0.0');
      expect(readTaskBuildDefaults(join(__dirname, '../../..'))?.defaultBaseImage).toMatch(/^openclaw-base:\d+\.\d+\.\d+$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
