/**
 * The newer Docker engines `engine:up --engine=...` can run nested in a container of the host engine, each from
 * the docker.io of a Debian suite newer than the host's (their runc needs a newer C library than Debian 12's).
 */
export const NESTED_ENGINES = {
  '26.1': {
    /** The Debian suite whose docker.io this is. */
    suite: 'trixie',
    /** For messages: where the engine comes from. */
    describe: "Debian 13 trixie's docker.io 26.1.5",
    /** apt lines the root build needs for this suite. */
    aptOptions: [] as string[],
  },
  '28.5': {
    suite: 'unstable',
    describe: "Debian unstable's docker.io 28.5.2",
    // The mirror's Release file for unstable has expired; the packages it names are still there.
    aptOptions: ['Acquire::Check-Valid-Until "false"'],
  },
} as const;

export type NestedEngineVersion = keyof typeof NESTED_ENGINES;

/**
 * Where a nested engine keeps images: `classic` is its graph drivers (overlay2), `containerd` the containerd image
 * store (`features.containerd-snapshotter`), whose image IDs are manifest digests.
 */
export const IMAGE_STORES = ['classic', 'containerd'] as const;

export type ImageStore = (typeof IMAGE_STORES)[number];

/** One nested engine: which version, with which image store. */
export interface NestedEngineChoice {
  engine: NestedEngineVersion;
  store: ImageStore;
}

/**
 * The port of each nested engine's own registry, the same number inside its container and on the host's
 * loopback, so `127.0.0.1:<port>` names it for the host and for the nested engine alike. Fixed, so exports pasted
 * once keep working; distinct, so every engine and store can run at once; none is the host registry's 5000.
 */
export const NESTED_REGISTRY_PORTS: Record<`${NestedEngineVersion}-${ImageStore}`, number> = {
  '26.1-classic': 5126,
  '26.1-containerd': 5127,
  '28.5-classic': 5285,
  '28.5-containerd': 5286,
};

/** `28.5-containerd`: how paths, container names and the TASKFORGE_ENGINE variable name a nested engine. */
export function nestedEngineName(choice: NestedEngineChoice): `${NestedEngineVersion}-${ImageStore}` {
  return `${choice.engine}-${choice.store}`;
}
