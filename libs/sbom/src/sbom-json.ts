import { Serialize, Spec, type Models } from '@cyclonedx/cyclonedx-library';
import { UserError } from '@taskforge/user-errors';
import { schemaErrors } from './schema-validator';

/** A CycloneDX 1.6 document as JSON parses it. */
export type CycloneDxDocument = Serialize.JSON.Types.Normalized.Bom;

const normalizers = new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6);
const serializer = new Serialize.JsonSerializer(normalizers);

/** CycloneDX 1.6 JSON, lists sorted so the same image gives the same document (its timestamp and serial number aside). */
export function serializeBom(bom: Models.Bom): string {
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}

/** One component as the document holds it. */
export function normalizeComponent(component: Models.Component): NonNullable<CycloneDxDocument['components']>[number] {
  return normalizers.makeForComponent().normalize(component, { sortLists: true })!;
}

/**
 * Checks a document against the CycloneDX 1.6 JSON schema (strict: no fields
 * the schema does not define) with the library's own validator; a document
 * that breaks it is refused with its first error.
 */
export async function validateSbomJson(json: string, what: string): Promise<void> {
  const errors = await schemaErrors(json);
  if (errors === null) return;
  const [first] = errors as { instancePath?: string; message?: string }[];
  throw new UserError(`${what} is not valid CycloneDX 1.6 JSON: ${first?.instancePath || '/'} ${first?.message ?? JSON.stringify(errors).slice(0, 200)}.`);
}
