export interface PushImageExecutorOptions {
  registry?: string;
}
