import { type AuthRegistry, createFixtureWorkspace, engineForTests, type FixtureWorkspace, removeImagesNamed, startAuthRegistry } from '@taskforge/testing';

jest.setTimeout(5 * 60 * 1000);

async function manifestDigest(registry: AuthRegistry, repository: string, tag: string): Promise<string | null> {
  const response = await fetch(`http://${registry.address}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      Authorization: `Basic ${Buffer.from(`${registry.user}:${registry.password}`).toString('base64')}`,
      Accept: 'application/vnd.docker.distribution.manifest.v2+json',
    },
  });
  return response.status === 200 ? response.headers.get('docker-content-digest') : null;
}

describe('push-image against a registry with htpasswd auth', () => {
  let registry: AuthRegistry;
  let fixture: FixtureWorkspace;
  beforeAll(async () => {
    await engineForTests();
    registry = await startAuthRegistry(5051);
    // A git checkout: push-image names what it pushes by commit.
    fixture = createFixtureWorkspace({ git: true });
  });
  afterAll(async () => {
    await removeImagesNamed(`fx-${fixture.suffix}-`);
    fixture.remove();
    await registry.stop();
  });

  it('pushes the content and development tags with the credentials from DOCKER_CONFIG and prints the digest the registry stored', async () => {
    const env = { IMAGE_REGISTRY: registry.address, DOCKER_CONFIG: registry.dockerConfig(registry.user, registry.password) };
    const result = fixture.nx(['run', 'fx-base:push-image', '--output-style=static'], env);
    expect(result.code).toBe(0);
    const printed = /\[fx-base\] digest (sha256:[0-9a-f]{64})/.exec(result.output)?.[1];
    expect(printed).toBeDefined();
    const commit = fixture.git(['rev-parse', 'HEAD']).stdout.trim();
    expect(await manifestDigest(registry, fixture.image('base'), `1.0.0-dev.${commit.slice(0, 7)}`)).toBe(printed);
    // Release tags are nx release publish's alone.
    for (const tag of ['1.0.0', 'latest']) expect(await manifestDigest(registry, fixture.image('base'), tag)).toBeNull();
    expect(result.output).toMatch(new RegExp(`shared ${registry.address}/${fixture.image('base')}:ck-[0-9a-f]{32} ${printed}`));
  });

  it('says which user was refused and how to log in when the credentials are wrong', () => {
    const env = { IMAGE_REGISTRY: registry.address, DOCKER_CONFIG: registry.dockerConfig(registry.user, 'wrong password') };
    const result = fixture.nx(['run', 'fx-a:push-image', '--output-style=static'], env);
    expect(result.code).not.toBe(0);
    const line = result.output.split('\n').find((l) => l.startsWith('[fx-a] ERROR: '));
    expect(line).toContain(`${registry.address} refused the credentials for user "${registry.user}"`);
    expect(line).toContain(`docker login ${registry.address}`);
    expect(result.output).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
