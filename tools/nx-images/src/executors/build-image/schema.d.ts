export interface BuildImageExecutorOptions {
  registry?: string;
  shareContentTag?: boolean;
}
