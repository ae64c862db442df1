export type TestImageExecutorOptions = Record<string, never>;
