import { UserError } from '@taskforge/user-errors';

/** Where a transparency log would be named, for signing and for verifying alike. */
export interface TransparencyLogOptions {
  /**
   * A Rekor server's URL. Reserved: this library has no Rekor client, and no transparency log is reachable from
   * the machines it runs on, so signatures are made and checked by key alone (cosign's `--tlog-upload=false` when
   * signing, `--insecure-ignore-tlog=true` when verifying; skopeo's `keyPath` policy without `rekorPublicKeyPath`).
   * Setting it is refused rather than ignored, so nobody believes an entry was logged or checked.
   */
  rekorUrl?: string;
}

export function refuseTransparencyLog(options: TransparencyLogOptions, action: 'sign' | 'verify'): void {
  if (options.rekorUrl === undefined) return;
  throw new UserError(
    `rekorUrl ${options.rekorUrl}: this tool cannot ${action} with a transparency log yet (no Rekor client); leave it unset to ${action} by key alone.`,
  );
}
