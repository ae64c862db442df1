export { RequestRefused, isRequestRefused, quoteValue, MAX_REFUSAL_CHARS } from './request-refused';
export {
  parseCapability,
  parseCapabilityList,
  parseTaskId,
  canonicalPipName,
  capabilityId,
  CAPABILITY_KINDS,
  MAX_CAPABILITIES,
  MAX_CAPABILITY_CHARS,
  TASK_ID_PATTERN,
  type CapabilityKind,
  type CapabilityRequest,
} from './capability';
export {
  ANY_DEBIAN_VERSION,
  CATALOGUE_FILE,
  CATALOGUE_SCHEMA_FILE,
  capabilityCatalogueSchema,
  catalogueJsonSchema,
  parseCatalogue,
  parseCatalogueText,
  readCatalogue,
  type AptCatalogueEntry,
  type Catalogue,
  type CatalogueEntry,
  type PipCatalogueEntry,
} from './catalogue';
export { approveCapabilities, type ApprovedAptPackage, type ApprovedPipPackage, type ApprovedSet } from './approve';
export { renderTaskBuild, BASE_REFERENCE, PIP_TARGET, RENDERED_FILES, TASK_SITE_PACKAGES, type TaskBuild } from './render';
export { capabilitySetKey } from './capability-key';
