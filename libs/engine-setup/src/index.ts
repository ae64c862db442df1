export { ensureEngine, type EnsureEngineResult } from './ensure-engine';
export { stopEngine } from './stop-engine';
export { registryAnswers, writeRegistryConfig, registryConfigYaml, type RegistryServerConfig } from './registry-server';
export { startDetached, stopPid, waitFor } from './background-process';
export { enginePaths, engineStateDir } from './engine-state';
export { ensureDebianPackages } from './debian-packages';
