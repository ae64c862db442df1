import type { HostConfig } from 'dockerode';

export interface HardenedProfileOptions {
  /**
   * Docker network the agent joins. `none` (the default) gives it no network at all: not even the host answers, which
   * on any bridge network, internal ones included, it does at every bridge address. The agent then reaches its control
   * plane only through `controlPlaneSocketDir`. Another network only for a task that must reach a peer of its own.
   */
  network?: string;
  /**
   * A directory (as the engine sees it) holding the control plane's unix socket `control-plane.sock`; mounted
   * read-only at /run/taskforge, so the runtime's CONTROL_PLANE_URL is CONTROL_PLANE_SOCKET_URL.
   */
  controlPlaneSocketDir?: string;
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

/** Where the control plane's socket directory is mounted in an agent container. */
export const CONTROL_PLANE_SOCKET_MOUNT = '/run/taskforge';
/** CONTROL_PLANE_URL for an agent started with `controlPlaneSocketDir`. */
export const CONTROL_PLANE_SOCKET_URL = `unix://${CONTROL_PLANE_SOCKET_MOUNT}/control-plane.sock`;

/**
 * How every TaskForge agent container runs: read-only root filesystem with
 * tmpfs on /tmp, all capabilities dropped, no privilege escalation, bounded
 * memory, processes and CPU, and no network unless the caller names one (the
 * control plane comes in as a unix socket). Written down once; every place that
 * starts an agent uses it.
 */
export function hardenedHostConfig(options: HardenedProfileOptions): HostConfig {
  const memory = options.memoryBytes ?? 512 * 1024 * 1024;
  const workspace = options.workspace ?? { tmpfsBytes: 256 * 1024 * 1024 };
  const tmpfs: Record<string, string> = { '/tmp': `rw,nosuid,nodev,noexec,size=${options.tmpBytes ?? 64 * 1024 * 1024}` };
  const mounts: HostConfig['Mounts'] = [];
  if (options.controlPlaneSocketDir) {
    mounts.push({ Type: 'bind', Source: options.controlPlaneSocketDir, Target: CONTROL_PLANE_SOCKET_MOUNT, ReadOnly: true });
  }
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
    NetworkMode: options.network ?? 'none',
    Privileged: false,
  };
}
