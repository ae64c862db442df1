import type { ImageProject } from './image-workspace';

export const CONTENT_KEY_LABEL = 'io.taskforge.image.content-key';
export const PROJECT_LABEL = 'io.taskforge.image.project';
/** The content key of the repo image this one is built FROM (see finalBase in libs/image-build). */
export const BASE_CONTENT_KEY_LABEL = 'io.taskforge.image.base.content-key';

export interface LabelFacts {
  contentKey: string;
  /** Commit the image is built from. */
  revision?: string;
  /** ISO 8601 time of the build. */
  created: string;
  /** Where the sources live (repository URL). */
  source?: string;
  /** The reference the final stage is built FROM. */
  baseName?: string;
  /** Its manifest digest, for an image from outside the repo; empty (over an inherited one) for a repo image. */
  baseDigest?: string;
  /** Its content key, for one of the repo's images. */
  baseContentKey?: string;
}

/** OCI annotations (as labels) plus the keys our tooling reads back. */
export function imageLabels(image: ImageProject, facts: LabelFacts): Record<string, string> {
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': image.definition.name,
    'org.opencontainers.image.description': image.definition.description,
    'org.opencontainers.image.version': image.version,
    'org.opencontainers.image.created': facts.created,
    [CONTENT_KEY_LABEL]: facts.contentKey,
    [PROJECT_LABEL]: image.project,
  };
  if (facts.revision) labels['org.opencontainers.image.revision'] = facts.revision;
  if (facts.source) labels['org.opencontainers.image.source'] = facts.source;
  if (facts.baseName) labels['org.opencontainers.image.base.name'] = facts.baseName;
  if (facts.baseDigest !== undefined) labels['org.opencontainers.image.base.digest'] = facts.baseDigest;
  if (facts.baseContentKey) labels[BASE_CONTENT_KEY_LABEL] = facts.baseContentKey;
  return labels;
}

/** The labels test-image insists on. */
export const REQUIRED_LABELS = [
  'org.opencontainers.image.title',
  'org.opencontainers.image.version',
  'org.opencontainers.image.revision',
  'org.opencontainers.image.created',
  CONTENT_KEY_LABEL,
] as const;
