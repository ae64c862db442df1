import { readFileSync } from 'node:fs';
import { catalogueSchemaText, SCHEMA_FILE } from '../scripts/write-json-schema';

describe('capabilities.schema.json', () => {
  it('matches the zod schema (regenerate with `npx nx run task-images:json-schema`)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(catalogueSchemaText());
  });
});
