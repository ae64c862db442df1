export interface ReleaseTagExecutorOptions {
  dryRun?: boolean;
}
