// Writes the contract's JSON Schemas where the runtime's Python tests validate against them; the test suite checks they are current.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { contractJsonSchemas } from '../src';

export const SCHEMA_DIR = resolve(__dirname, '../../../images/base/tests/contract');

export function schemaFiles(): Record<string, string> {
  return Object.fromEntries(Object.entries(contractJsonSchemas()).map(([name, schema]) => [`${name}.schema.json`, `${JSON.stringify(schema, null, 2)}\n`]));
}

if (require.main === module) {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [file, text] of Object.entries(schemaFiles())) writeFileSync(join(SCHEMA_DIR, file), text);
  console.log(`wrote ${Object.keys(schemaFiles()).length} schemas to ${SCHEMA_DIR}`);
}
