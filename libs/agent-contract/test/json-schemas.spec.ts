import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { action, actionResult, policy } from '../src';
import { SCHEMA_DIR, schemaFiles } from '../scripts/write-json-schemas';

describe('agent contract', () => {
  it('JSON Schema files match the zod schemas (regenerate with `npx nx run agent-contract:json-schema`)', () => {
    const expected = schemaFiles();
    expect(readdirSync(SCHEMA_DIR).sort()).toEqual(Object.keys(expected).sort());
    for (const [file, text] of Object.entries(expected)) expect(readFileSync(join(SCHEMA_DIR, file), 'utf8')).toBe(text);
  });

  it('fills action defaults and refuses unknown action types and fields', () => {
    expect(action.parse({ id: 'a1', type: 'run_command', argv: ['echo', 'hi'] })).toEqual({ id: 'a1', type: 'run_command', argv: ['echo', 'hi'], timeout_s: 60, max_output_bytes: 65536 });
    expect(action.safeParse({ id: 'a1', type: 'format_disk' }).success).toBe(false);
    expect(action.safeParse({ id: 'a1', type: 'read_file', path: 'x', sudo: true }).success).toBe(false);
  });

  it('requires a decision with every result and a revision with every policy', () => {
    expect(actionResult.safeParse({ action_id: 'a1', status: 'succeeded', duration_ms: 1 }).success).toBe(false);
    expect(policy.safeParse({ task_id: 't', issued_at: new Date().toISOString(), rules: [] }).success).toBe(false);
  });
});
