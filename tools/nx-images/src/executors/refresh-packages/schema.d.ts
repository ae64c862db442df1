export interface RefreshPackagesExecutorOptions {
  registry?: string;
}
