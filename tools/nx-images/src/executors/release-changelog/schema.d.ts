export interface ReleaseChangelogExecutorOptions {
  dryRun?: boolean;
  verbose?: boolean;
}
