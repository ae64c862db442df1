// Writes the JSON Schema of config/capabilities.json next to the zod schema it comes from, for editors (the catalogue
// names it in $schema); the test suite checks it is current.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { catalogueJsonSchema } from '../src';

export const SCHEMA_FILE = resolve(__dirname, '../capabilities.schema.json');

export function catalogueSchemaText(): string {
  return `${JSON.stringify(catalogueJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(SCHEMA_FILE, catalogueSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
