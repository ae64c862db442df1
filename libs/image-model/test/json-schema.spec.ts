import { readFileSync } from 'node:fs';
import { imageDefinitionSchemaText, SCHEMA_FILE } from '../scripts/write-json-schema';

describe('image-definition.schema.json', () => {
  it('matches the zod schema (regenerate with `npx nx run image-model:json-schema`)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(imageDefinitionSchemaText());
  });
});
