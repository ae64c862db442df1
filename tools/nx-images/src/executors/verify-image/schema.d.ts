export interface VerifyImageExecutorOptions {
  /** A tag (`1.0.0`), a digest (`sha256:...`) or a full reference (`host:port/name:tag`); default: NAME:VERSION in the registry. */
  reference?: string;
  registry?: string;
}
