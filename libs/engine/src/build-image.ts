import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import type { Pack } from 'tar-stream';
import { coerce, lt } from 'semver';
import { UserError } from '@taskforge/user-errors';
import { BuildkitProgress } from './buildkit-progress';
import { engineFacts, hasBuildkitSourceDate, type EngineFacts } from './engine-facts';
import { readEngineStream } from './engine-stream';

export interface BuildRequest {
  contextDir: string;
  /** Files of the context, relative to contextDir: exactly what is sent. */
  files: string[];
  dockerfile: string;
  /**
   * What to build instead of the context's Dockerfile (the same file with what the engine lacks taken out): sent as
   * a file of its own beside the context's files, which stay as they are.
   */
  dockerfileText?: string;
  /** Full references, e.g. `openclaw-base:1.0.0`. */
  tags: string[];
  labels: Record<string, string>;
  buildArgs: Record<string, string>;
  /** Run every step again instead of reusing BuildKit's cache (a security refresh must resolve packages anew). */
  noCache?: boolean;
  /** The network RUN steps use: the engine's default, `host` (e.g. a package index on this machine's loopback) or `none`. */
  networkMode?: 'default' | 'host' | 'none';
  /**
   * Seconds since the epoch that the image's timestamps take (SOURCE_DATE_EPOCH), for engines whose BuildKit
   * takes it (Docker 25 and later); older ones build with the wall clock and the build says so.
   */
  sourceDateEpoch?: number;
  /** Named in errors, e.g. the Nx project. */
  displayName: string;
  print: (line: string) => void;
}

/** Where a build's own Dockerfile text goes in the context it sends: a name no build context file has. */
const GENERATED_DOCKERFILE = '.taskforge-build.Dockerfile';

/** A Dockerfile step failed: names the step, keeps its last output lines. */
export class BuildStepError extends UserError {
  constructor(readonly displayName: string, readonly step: string, readonly reason: string, readonly lastLines: string[]) {
    super(`${displayName}: build step \`${step}\` failed: ${reason}. Fix that step in the Dockerfile (its last output is above).`);
  }
}

/**
 * Docker before 27.5 with the containerd image store fails every BuildKit build whose context comes in the request
 * body, as this one does (`Get "http://build-context-<id>": no such host`, moby/moby#47717); the docker CLI and
 * buildx send it through a BuildKit session instead. Refused before sending anything, with the fix, since the
 * engine's own message blames a Dockerfile step.
 */
export function assertBuildsUploadedContext(displayName: string, facts: Pick<EngineFacts, 'version' | 'imageStore'>): void {
  const version = coerce(facts.version);
  if (facts.imageStore === 'containerd' && version && lt(version, '27.5.0')) {
    throw new UserError(
      `${displayName}: Docker ${facts.version} with the containerd image store cannot build from an uploaded context (moby/moby#47717, fixed in Docker 27.5): upgrade the engine to 27.5 or later, or turn the containerd image store off ("features": {"containerd-snapshotter": false} in /etc/docker/daemon.json).`,
    );
  }
}

/**
 * Builds an image with BuildKit through the engine API, from exactly the
 * listed context files, printing readable progress. Returns the image ID.
 */
export async function buildImage(docker: Docker, request: BuildRequest): Promise<string> {
  const facts = await engineFacts(docker);
  assertBuildsUploadedContext(request.displayName, facts);
  const buildArgs = { ...request.buildArgs };
  if (request.sourceDateEpoch !== undefined) {
    if (hasBuildkitSourceDate(facts)) buildArgs.SOURCE_DATE_EPOCH = String(request.sourceDateEpoch);
    else request.print(`SOURCE_DATE_EPOCH: Docker ${facts.version}'s BuildKit does not take it (Docker 25 and later do); only the created label follows it`);
  }
  const context = pack(request.contextDir, {
    entries: request.files,
    finalize: request.dockerfileText === undefined,
    finish: (archive: Pack) => {
      if (request.dockerfileText === undefined) return;
      archive.entry({ name: GENERATED_DOCKERFILE, mode: 0o644 }, request.dockerfileText);
      archive.finalize();
    },
  } as never) as unknown as NodeJS.ReadableStream;
  const stream = (await docker.buildImage(context, {
    version: '2',
    dockerfile: request.dockerfileText === undefined ? request.dockerfile : GENERATED_DOCKERFILE,
    t: request.tags,
    labels: request.labels,
    buildargs: buildArgs,
    forcerm: true,
    nocache: request.noCache ?? false,
    ...(request.networkMode ? { networkmode: request.networkMode } : {}),
  } as unknown as Docker.ImageBuildOptions)) as NodeJS.ReadableStream;

  const progress = new BuildkitProgress(request.print);
  let imageId: string | undefined;
  try {
    await readEngineStream(stream as never, (message) => {
      if (message.id === 'moby.buildkit.trace' && typeof message.aux === 'string') progress.accept(message.aux);
      else if (message.id === 'moby.image.id') imageId = (message.aux as { ID?: string } | undefined)?.ID;
      else if (message.stream?.trim()) request.print(message.stream.trimEnd());
    });
  } catch (error) {
    if (progress.failure) {
      throw new BuildStepError(request.displayName, progress.failure.step, progress.failure.error, progress.failureTail());
    }
    throw new UserError(`${request.displayName}: the engine refused the build: ${(error as Error).message}.`);
  }
  if (!imageId) throw new UserError(`${request.displayName}: the engine finished the build without reporting an image ID; see the output above.`);
  return imageId;
}
