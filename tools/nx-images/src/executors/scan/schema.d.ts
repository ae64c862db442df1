export interface ScanExecutorOptions {
  sbom?: string;
  failOn?: 'low' | 'medium' | 'high' | 'critical';
  output?: string;
}
