export interface ShareImageExecutorOptions {
  registry?: string;
}
