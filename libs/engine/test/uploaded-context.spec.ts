import { assertBuildsUploadedContext } from '../src';

// moby/moby#47717: with the containerd image store, a BuildKit build whose context is the request body fails in
// `[internal] load remote build context` before Docker 27.5. Seen here on Debian 13's 26.1.5; 28.5.2 builds.
describe('assertBuildsUploadedContext', () => {
  it.each([
    ['20.10.24+dfsg1', 'classic'],
    ['26.1.5+dfsg1', 'classic'],
    ['27.5.0', 'containerd'],
    ['28.5.2+dfsg3', 'containerd'],
    ['29.1.0', 'containerd'],
  ] as const)('Docker %s with the %s store builds', (version, imageStore) => {
    expect(() => assertBuildsUploadedContext('agent-base', { version, imageStore })).not.toThrow();
  });

  it.each(['26.1.5+dfsg1', '27.4.1', '24.0.7'])('Docker %s with the containerd store is refused in one line naming the version and both fixes', (version) => {
    expect(() => assertBuildsUploadedContext('agent-base', { version, imageStore: 'containerd' })).toThrow(
      `agent-base: Docker ${version} with the containerd image store cannot build from an uploaded context (moby/moby#47717, fixed in Docker 27.5): upgrade the engine to 27.5 or later, or turn the containerd image store off ("features": {"containerd-snapshotter": false} in /etc/docker/daemon.json).`,
    );
  });
});
