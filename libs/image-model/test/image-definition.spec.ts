import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageTestCommand, parseImageDefinition, readImageDefinition } from '../src';

const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return { name: (error as Error).name, text: (error as Error).message };
  }
  throw new Error('expected an error');
};

describe('image definitions', () => {
  it('fills defaults for a minimal definition', () => {
    const definition = parseImageDefinition({ name: 'openclaw-base', description: 'base' }, 'images/base/image.json');
    expect(definition).toMatchObject({ dockerfile: 'Dockerfile', buildArgs: {}, checks: {} });
  });

  it('names the file, the field, the expectation and the value it got', () => {
    const error = message(() => parseImageDefinition({ name: 'OpenClaw Base', description: 'x' }, 'images/base/image.json'));
    expect(error.name).toBe('UserError');
    expect(error.text).toContain('images/base/image.json');
    expect(error.text).toContain('field "name"');
    expect(error.text).toContain('lowercase image name');
    expect(error.text).toContain('"OpenClaw Base"');
    expect(error.text).not.toContain('\n');
  });

  it('reports a nested field and a missing one', () => {
    const nested = message(() => parseImageDefinition({ name: 'a', description: 'x', checks: { user: -1 } }, 'f.json'));
    expect(nested.text).toContain('field "checks.user"');
    const missing = message(() => parseImageDefinition({ name: 'a' }, 'f.json'));
    expect(missing.text).toContain('field "description"');
    expect(missing.text).toContain('got nothing');
  });

  it('refuses unknown fields so typos do not pass silently', () => {
    expect(message(() => parseImageDefinition({ name: 'a', description: 'x', dockerFile: 'D' }, 'f.json')).text).toMatch(/dockerFile/);
  });

  it('reports broken JSON with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'def-'));
    writeFileSync(join(dir, 'image.json'), '{ "name": ');
    const error = message(() => readImageDefinition(join(dir, 'image.json'), 'images/x/image.json'));
    expect(error.text).toMatch(/^images\/x\/image.json: not valid JSON/);
  });

  it.each([
    ['test files and no command: the standard unittest run over them', { testFiles: 'tests' }, ['python3', '-m', 'unittest', 'discover', '-s', '/opt/image-tests', '-t', '/opt/image-tests', '-v']],
    ['a command of its own wins', { testFiles: 'tests', command: ['pytest', '-q', '/opt/image-tests'] }, ['pytest', '-q', '/opt/image-tests']],
    ['a command without test files', { command: ['go', 'version'] }, ['go', 'version']],
    ['neither: no test command', {}, undefined],
  ])('test command: %s', (_case, checks, expected) => {
    expect(imageTestCommand(parseImageDefinition({ name: 'a', description: 'x', checks }, 'f.json').checks)).toEqual(expected);
  });
});
