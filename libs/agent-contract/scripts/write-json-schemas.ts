// Writes the contract's JSON Schemas and limits into the runtime's package, where the runtime validates what it is sent and
// the Python tests validate what it sends; the test suite checks they are current.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONTRACT_LIMITS, contractJsonSchemas } from '../src';

export const SCHEMA_DIR = resolve(__dirname, '../../../images/base/agent/contract');

export function schemaFiles(): Record<string, string> {
  return {
    ...Object.fromEntries(Object.entries(contractJsonSchemas()).map(([name, schema]) => [`${name}.schema.json`, `${JSON.stringify(schema, null, 2)}\n`])),
    'limits.json': `${JSON.stringify(CONTRACT_LIMITS, null, 2)}\n`,
  };
}

if (require.main === module) {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [file, text] of Object.entries(schemaFiles())) writeFileSync(join(SCHEMA_DIR, file), text);
  console.log(`wrote ${Object.keys(schemaFiles()).length} files to ${SCHEMA_DIR}`);
}
