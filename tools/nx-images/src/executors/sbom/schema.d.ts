export interface SbomExecutorOptions {
  output?: string;
  registry?: string;
}
