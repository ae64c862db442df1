import { engineClient, inspectLocalImage, runContainer } from '@taskforge/engine';
import { BASE_CONTENT_KEY_LABEL, CONTENT_KEY_LABEL } from '@taskforge/image-model';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineForTests, REPO_ROOT, repoImage } from '@taskforge/testing';

jest.setTimeout(5 * 60 * 1000);

const version = (dir: string) => readFileSync(join(REPO_ROOT, dir, 'VERSION'), 'utf8').trim();

// What the images are, as built by the graph (this project's test target depends on their build-image and test-image).
describe('the base image and its Debian-built parent', () => {
  beforeAll(async () => {
    await engineForTests();
    await repoImage('agent-base');
    await repoImage('python-runtime');
  });

  it('agent-base: numeric non-root user 1001, writable /workspace, OCI labels naming its parent, within 130 MB', async () => {
    const docker = engineClient();
    const base = await inspectLocalImage(docker, `openclaw-base:${version('images/base')}`);
    const runtime = await inspectLocalImage(docker, `openclaw-python:${version('images/python-runtime')}`);
    expect(base).toBeDefined();
    expect(base!.user).toBe('1001');
    expect(base!.labels).toMatchObject({
      'org.opencontainers.image.title': 'openclaw-base',
      'org.opencontainers.image.version': version('images/base'),
      'org.opencontainers.image.base.name': `openclaw-python:${version('images/python-runtime')}`,
      // The parent is one of the repo's images: named by its content key, the same on every machine and image store
      // whatever was pushed before; a manifest digest would depend on that history.
      [BASE_CONTENT_KEY_LABEL]: runtime!.labels[CONTENT_KEY_LABEL],
    });
    expect(base!.labels['org.opencontainers.image.base.digest']).toBe('');
    expect(base!.labels['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/);
    expect(base!.size).toBeLessThanOrEqual(130 * 1000 * 1000);
    const run = await runContainer(docker, {
      image: `openclaw-base:${version('images/base')}`,
      entrypoint: ['sh', '-c', 'id -u; id -g; touch /workspace/x && echo writable; python3 --version'],
    });
    expect(run.stdout.split('\n').slice(0, 4)).toEqual(['1001', '0', 'writable', 'Python 3.11.2']);
  });

  it('python-runtime: one layer from Debian packages, Python 3.11 without docs, man pages or apt lists', async () => {
    const docker = engineClient();
    const image = `openclaw-python:${version('images/python-runtime')}`;
    expect((await inspectLocalImage(docker, image))!.layers).toHaveLength(1);
    const run = await runContainer(docker, {
      image,
      entrypoint: ['sh', '-c', 'ls /usr/share/man | wc -l; find /var/lib/apt/lists /var/cache/apt -type f ! -name lock | wc -l; ls /usr/share/doc/python3 ; python3 -c "import sys; print(sys.version_info[:2])"'],
    });
    expect(run.stdout.trim().split('\n')).toEqual(['0', '0', 'copyright', '(3, 11)']);
  });
});
