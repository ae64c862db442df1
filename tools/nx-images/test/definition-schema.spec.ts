import { readFileSync } from 'node:fs';
import { imageDefinitionSchemaText, SCHEMA_FILE } from '../scripts/write-image-definition-schema';

describe('image-definition.schema.json', () => {
  it('matches the zod schema (regenerate with `npx nx run nx-images:definition-schema`)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(imageDefinitionSchemaText());
  });
});
