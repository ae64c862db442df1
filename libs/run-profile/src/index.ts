export { hardenedHostConfig, AGENT_UID, CONTROL_PLANE_SOCKET_MOUNT, CONTROL_PLANE_SOCKET_URL, type HardenedProfileOptions } from './hardened-host-config';
