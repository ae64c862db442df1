import type { HostConfig } from 'dockerode';

export interface HardenedProfileOptions {
  /** Docker network the agent joins; make it `internal` to give the agent no route out. */
  network: string;
  memoryBytes?: number;
  pidsLimit?: number;
  /** CPU cores (fractions allowed). */
  cpus?: number;
  /** The task workspace: a named volume, or a tmpfs that lives as long as the container. */
  workspace?: { volume: string } | { tmpfsBytes: number };
  /** Size of the /tmp tmpfs (a browser needs more than the default 64 MiB). */
  tmpBytes?: number;
}

export const AGENT_UID = 1001;

/**
 * How every TaskForge agent container runs: read-only root filesystem with
 * tmpfs on /tmp, all capabilities dropped, no privilege escalation, bounded
 * memory, processes and CPU, on a network of the caller's choosing. Written
 * down once; every place that starts an agent uses it.
 */
export function hardenedHostConfig(options: HardenedProfileOptions): HostConfig {
  const memory = options.memoryBytes ?? 512 * 1024 * 1024;
  const workspace = options.workspace ?? { tmpfsBytes: 256 * 1024 * 1024 };
  const tmpfs: Record<string, string> = { '/tmp': `rw,nosuid,nodev,noexec,size=${options.tmpBytes ?? 64 * 1024 * 1024}` };
  const mounts: HostConfig['Mounts'] = [];
  if ('volume' in workspace) {
    mounts.push({ Type: 'volume', Source: workspace.volume, Target: '/workspace', ReadOnly: false });
  } else {
    tmpfs['/workspace'] = `rw,nosuid,nodev,size=${workspace.tmpfsBytes},uid=${AGENT_UID},gid=0,mode=2775`;
  }
  return {
    ReadonlyRootfs: true,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges:true'],
    PidsLimit: options.pidsLimit ?? 256,
    Memory: memory,
    // Equal to Memory: no swap on top of the limit.
    MemorySwap: memory,
    NanoCpus: Math.round((options.cpus ?? 1) * 1e9),
    Tmpfs: tmpfs,
    Mounts: mounts,
    NetworkMode: options.network,
    Privileged: false,
  };
}
