export { buildRootfsTarball, mmdebstrapArgs, tarballDigest } from './build-rootfs';
