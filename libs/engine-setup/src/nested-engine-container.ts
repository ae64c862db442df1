import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { registryConfigYaml } from './registry-server';
import { NESTED_REGISTRY_PORTS, nestedEngineName, type NestedEngineChoice } from './nested-engines';
import type { NestedEnginePaths } from './engine-state';

/** Where the nested engine's host directory (socket, configs, logs, registry data) appears inside its container. */
export const STATE_MOUNT = '/taskforge';

/** The host engine's container of a nested engine: one per engine and store, found again by this name. */
export function nestedEngineContainerName(choice: NestedEngineChoice): string {
  return `taskforge-engine-${nestedEngineName(choice)}`;
}

/** The label a nested engine's container carries: the hash of everything it was created from. */
export const SPEC_LABEL = 'org.taskforge.nested-engine.spec';

/** The nested dockerd's configuration, with paths as its container sees them. */
export function nestedDaemonConfig(choice: NestedEngineChoice): string {
  return `${JSON.stringify(
    {
      hosts: [`unix://${STATE_MOUNT}/docker.sock`],
      'data-root': '/var/lib/docker',
      // Said either way: the default store moves between Docker releases (29 makes containerd the default).
      features: { 'containerd-snapshotter': choice.store === 'containerd' },
    },
    null,
    2,
  )}\n`;
}

/** Its registry, on every address of its container, so the port published on the host's loopback reaches it. */
export function nestedRegistryConfig(choice: NestedEngineChoice): string {
  return registryConfigYaml({ listen: `0.0.0.0:${NESTED_REGISTRY_PORTS[nestedEngineName(choice)]}`, dataDir: `${STATE_MOUNT}/registry` });
}

/**
 * What the container runs under tini. Docker mounts /sys and the cgroup hierarchies read-only in any container
 * that is not --privileged (which this machine cannot run: its bounding set lacks CAP_SYS_RESOURCE), and dockerd
 * must create cgroups and write sysctls there. A bind remount changes only this mount's flags, which the cgroup v1
 * hierarchies need ("mount point is busy" otherwise). dockerd is exec'd, so tini's SIGTERM on `docker stop` reaches it.
 */
export const NESTED_ENTRY_SCRIPT = [
  'set -e',
  `echo "--- $(date -u +%Y-%m-%dT%H:%M:%SZ) container start" >>${STATE_MOUNT}/dockerd.log`,
  'mount -o remount,rw /sys',
  'mount -o remount,rw /sys/fs/cgroup',
  'for hierarchy in /sys/fs/cgroup/*; do if mountpoint -q "$hierarchy"; then mount -o remount,bind,rw "$hierarchy"; fi; done',
  `rm -f ${STATE_MOUNT}/docker.sock`,
  `docker-registry serve ${STATE_MOUNT}/registry.yml >>${STATE_MOUNT}/registry.log 2>&1 &`,
  `exec dockerd --config-file ${STATE_MOUNT}/daemon.json >>${STATE_MOUNT}/dockerd.log 2>&1`,
].join('\n');

/**
 * The host engine's create options for a nested engine. Every capability but CAP_SYS_RESOURCE, no seccomp, AppArmor
 * or masked /proc paths, every device: what --privileged would give, minus what this machine refuses. Its own
 * network namespace, never the host's: a dockerd there would take over the host engine's docker0 and iptables.
 * Data on a host directory: overlay (the nested stores) on the host's overlay2 does not mount.
 */
export function nestedEngineCreateOptions(choice: NestedEngineChoice, image: string, paths: NestedEnginePaths): Docker.ContainerCreateOptions {
  const port = `${NESTED_REGISTRY_PORTS[nestedEngineName(choice)]}/tcp`;
  const options: Docker.ContainerCreateOptions = {
    name: nestedEngineContainerName(choice),
    Image: image,
    Entrypoint: ['/usr/bin/tini', '--'],
    Cmd: ['/bin/sh', '-c', NESTED_ENTRY_SCRIPT],
    ExposedPorts: { [port]: {} },
    // dockerd stops its own containers within 15 s of SIGTERM; give it that and a margin.
    StopTimeout: 30,
    HostConfig: {
      CapAdd: ['ALL'],
      CapDrop: ['SYS_RESOURCE'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      // `--security-opt systempaths=unconfined` in the API's words: no masked or read-only /proc paths.
      MaskedPaths: [],
      ReadonlyPaths: [],
      DeviceCgroupRules: ['a *:* rwm'],
      // Its own cgroup namespace, so the nested dockerd sees a cgroup tree it may manage (the default on cgroup v1 is the host's).
      ...({ CgroupnsMode: 'private' } as Docker.HostConfig),
      Binds: [`${paths.dir}:${STATE_MOUNT}`, `${paths.dataRoot}:/var/lib/docker`],
      // The engine's exec root (netns files, containerd state, pid file) is per start, as on any host.
      Tmpfs: { '/run': 'rw,nosuid,nodev,mode=755' },
      PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: String(NESTED_REGISTRY_PORTS[nestedEngineName(choice)]) }] },
    },
  };
  // The config files are read at start only: a change to them, too, makes the running container out of date.
  const spec = createHash('sha256').update(JSON.stringify([options, nestedDaemonConfig(choice), nestedRegistryConfig(choice)])).digest('hex').slice(0, 16);
  return { ...options, Labels: { [SPEC_LABEL]: spec, 'org.taskforge.nested-engine': nestedEngineName(choice) } };
}
