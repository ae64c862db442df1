import type Docker from 'dockerode';
import { compareApiVersions, engineApi, type NegotiatedApi } from './api-version';

/** Where the engine keeps images: the classic graph drivers, or containerd's content store and snapshotters. */
export type ImageStore = 'classic' | 'containerd';

/** What differs between the engines users run, read once per client. */
export interface EngineFacts {
  /** The engine's version, e.g. `28.5.2`. */
  version: string;
  api: NegotiatedApi;
  /**
   * With `containerd`, an image's `Id` is its manifest (or index) digest and `Size` its compressed size; with
   * `classic`, `Id` is the config digest and `Size` the unpacked size.
   */
  imageStore: ImageStore;
  /** `linux/amd64`: the platform the engine runs containers of by default. */
  platform: string;
}

const cache = new WeakMap<Docker, Promise<EngineFacts>>();

/** Docker 25 (API 1.44) added `HEALTHCHECK --start-interval`. */
export function hasStartInterval(facts: { api: Pick<NegotiatedApi, 'version'> }): boolean {
  return compareApiVersions(facts.api.version, '1.44') >= 0;
}

/**
 * Whether the engine's BuildKit sets the image's timestamps from a SOURCE_DATE_EPOCH build argument: BuildKit 0.11
 * has it, Docker 25 (API 1.44, BuildKit 0.12) is the oldest engine seen taking it; 20.10's BuildKit 0.8 ignores it.
 */
export function hasBuildkitSourceDate(facts: { api: Pick<NegotiatedApi, 'version'> }): boolean {
  return compareApiVersions(facts.api.version, '1.44') >= 0;
}

/** Same engine, same answer: the facts of this client's engine. */
export function engineFacts(docker: Docker): Promise<EngineFacts> {
  let facts = cache.get(docker);
  if (!facts) {
    facts = (async () => {
      const api = await engineApi(docker);
      const [version, info] = await Promise.all([docker.version(), docker.info() as Promise<{ DriverStatus?: [string, string][]; Driver?: string }>]);
      const containerd = (info.DriverStatus ?? []).some(([key, value]) => key === 'driver-type' && value.startsWith('io.containerd.snapshotter'));
      return { version: version.Version, api, imageStore: containerd ? 'containerd' : 'classic', platform: `${version.Os}/${version.Arch}` } satisfies EngineFacts;
    })();
    facts.catch(() => cache.delete(docker));
    cache.set(docker, facts);
  }
  return facts;
}
