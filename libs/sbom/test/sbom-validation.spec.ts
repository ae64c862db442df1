import { stopSchemaValidator, validateSbomJson } from '../src';

// Compiling the CycloneDX 1.6 schema takes a few seconds of CPU.
jest.setTimeout(60_000);
afterAll(() => stopSchemaValidator());

describe('validateSbomJson', () => {
  it('accepts a minimal CycloneDX 1.6 document', async () => {
    await expect(validateSbomJson('{"bomFormat":"CycloneDX","specVersion":"1.6","version":1}', 'a minimal SBOM')).resolves.toBeUndefined();
  });

  it.each([
    ['a component of no known type', '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"nonsense","name":"x"}]}', /^an SBOM is not valid CycloneDX 1\.6 JSON: \/components\/0\/type /],
    ['a field the schema does not define (strict)', '{"bomFormat":"CycloneDX","specVersion":"1.6","extra":true}', /^an SBOM is not valid CycloneDX 1\.6 JSON: \/ /],
    ['another format', '{"spdxVersion":"SPDX-2.3"}', /^an SBOM is not valid CycloneDX 1\.6 JSON/],
  ])('refuses %s in one line', async (_case, json, message) => {
    await expect(validateSbomJson(json, 'an SBOM')).rejects.toThrow(message);
  });
});
