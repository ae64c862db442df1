// Writes the JSON Schema of image.json next to the zod schema it comes from, for editors (every image.json names it in
// $schema); the test suite checks it is current.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { imageDefinitionJsonSchema } from '../src';

export const SCHEMA_FILE = resolve(__dirname, '../image-definition.schema.json');

export function imageDefinitionSchemaText(): string {
  return `${JSON.stringify(imageDefinitionJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(SCHEMA_FILE, imageDefinitionSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
