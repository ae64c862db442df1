export interface ReleasePublishExecutorOptions {
  registry?: string;
  dryRun?: boolean;
  nxReleaseVersionData?: Record<string, { currentVersion?: string | null; newVersion: string | null }>;
}
