export { hardenedHostConfig, AGENT_UID, type HardenedProfileOptions } from './hardened-host-config';
