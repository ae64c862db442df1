import type Docker from 'dockerode';
import { parseImageReference } from '@taskforge/image-model';
import { UserError } from '@taskforge/user-errors';

/** Where a pushed image lives and the digest the registry stored its manifest under. */
export interface PushedImage {
  /** `registry/repository`, e.g. `localhost:5000/openclaw-base`. */
  repository: string;
  /** The manifest digest (`sha256:...`): what signatures and the SBOM's artifact tag refer to. */
  digest: string;
}

/** What the SBOM says about the image itself. */
export interface ImageDescription {
  /** The reference the SBOM was asked for. */
  reference: string;
  /** The repository path without registry (`openclaw-base`). */
  name: string;
  version?: string;
  tag?: string;
  /** The engine's image ID: the digest of the image's config, known before any push. */
  imageId: string;
  /** Known once the image is in a registry. */
  pushed?: PushedImage;
  architecture?: string;
  os?: string;
  labels: Record<string, string>;
}

export interface DescribeOptions {
  /**
   * The registry copy the SBOM is about: `repository` alone picks the engine's
   * digest for it (set by the last push or pull), `digest` says it outright.
   */
  repository?: string;
  digest?: string;
}

function pushedCopy(repoDigests: string[], options: DescribeOptions): PushedImage | undefined {
  if (options.repository && options.digest) return { repository: options.repository, digest: options.digest };
  if (!options.repository) return undefined;
  const found = repoDigests.map((entry) => entry.split('@')).find(([repository]) => repository === options.repository);
  return found ? { repository: found[0], digest: found[1] } : undefined;
}

/** Reads the image's config from the engine; a missing image is a user error. */
export async function describeImage(docker: Docker, reference: string, options: DescribeOptions = {}): Promise<ImageDescription> {
  let info: Docker.ImageInspectInfo;
  try {
    info = await docker.getImage(reference).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) throw new UserError(`${reference}: no such image in the engine; build or pull it first.`);
    throw error;
  }
  if (options.digest && !/^sha256:[0-9a-f]{64}$/.test(options.digest)) throw new UserError(`digest ${options.digest}: not a manifest digest (sha256:<64 hex digits>).`);
  if (options.digest && !options.repository) throw new UserError(`digest ${options.digest}: say which repository it is in (registry/repository).`);
  const parsed = parseImageReference(reference);
  const labels = info.Config?.Labels ?? {};
  return {
    reference,
    name: parsed.repository,
    tag: parsed.tag,
    version: labels['org.opencontainers.image.version'] ?? parsed.tag,
    imageId: info.Id,
    pushed: pushedCopy(info.RepoDigests ?? [], options),
    architecture: info.Architecture,
    os: info.Os,
    labels,
  };
}
