import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { importRootfs, inspectLocalImage, pullImage, pushAs, registryHasTag, registryTagDigest, removeImage } from '@taskforge/engine';
import { startAuthRegistry, type AuthRegistry } from '../src/auth-registry';
import { engineForTests, removeImagesNamed } from '../src/engine-images';
import { startTokenRegistry, type TokenRegistry } from '../src/token-registry';

// The registry look-ups of @taskforge/engine and its pushes through the engine, against a registry that wants
// bearer tokens from a token service (as Docker Hub, GHCR, Harbor and cloud registries do). The spec lives with the
// fixture: @taskforge/testing depends on @taskforge/engine, so an engine spec importing it would be a project cycle.

jest.setTimeout(3 * 60 * 1000);

const REGISTRY_PORT = 5201;
const TOKEN_PORT = 5202;
const BASIC_REGISTRY_PORT = 5203;
const prefix = `tf-token-auth-${randomBytes(4).toString('hex')}`;
const previousDockerConfig = process.env.DOCKER_CONFIG;

let docker: Docker;
let registry: TokenRegistry;
let imageId: string;
let scratch: string;

/** The registry's reference for one of this run's repositories. */
function reference(name: string, tag = '1.0.0'): string {
  return `${registry.address}/${prefix}-${name}:${tag}`;
}

function useDockerConfig(dir: string): void {
  process.env.DOCKER_CONFIG = dir;
}

/** The message of the UserError `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error?.name).toBe('UserError');
  return error!.message;
}

beforeAll(async () => {
  docker = await engineForTests();
  registry = await startTokenRegistry({ registryPort: REGISTRY_PORT, tokenPort: TOKEN_PORT, publicRepositories: [`${prefix}-public`] });
  // A one-file image of this run's own, so every push uploads a layer the registry has not seen.
  scratch = mkdtempSync(join(tmpdir(), 'token-auth-image-'));
  writeFileSync(join(scratch, 'hello.txt'), `${prefix}\n`);
  execFileSync('tar', ['-cf', join(scratch, 'rootfs.tar'), '-C', scratch, 'hello.txt']);
  imageId = await importRootfs(docker, { tarball: join(scratch, 'rootfs.tar'), reference: `${prefix}-local:1`, changes: [] });
});

afterAll(async () => {
  if (previousDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
  else process.env.DOCKER_CONFIG = previousDockerConfig;
  await removeImagesNamed(prefix);
  await registry?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('a registry with token auth', () => {
  it('with a user and password in DOCKER_CONFIG: the existence check, the push through the engine and the digest look-up all pass the token service', async () => {
    useDockerConfig(registry.dockerConfig({ user: registry.user, password: registry.password }));
    const ref = reference('basic');
    expect(await registryHasTag(ref)).toBe(false);
    const pushed = await pushAs(docker, imageId, ref);
    expect(await registryHasTag(ref)).toBe(true);
    expect(await registryTagDigest(ref)).toBe(pushed.digest);
    // Our look-ups and the engine's push both traded the Basic login for tokens of their scope.
    const basicGrants = registry.tokenRequests.filter((r) => r.grant === 'basic' && r.status === 200 && r.account === registry.user);
    expect(basicGrants.map((r) => r.scopes)).toEqual(expect.arrayContaining([[`repository:${prefix}-basic:pull`], expect.arrayContaining([`repository:${prefix}-basic:push,pull`])]));
  });

  it('with the identity token `docker login` leaves: pushes and looks up through the OAuth2 refresh grant, never sending a password', async () => {
    // The engine's own login route (what `docker login` calls) gets the refresh token from the token service.
    const login = (await docker.checkAuth({ username: registry.user, password: registry.password, serveraddress: registry.address })) as { IdentityToken?: string };
    expect(login.IdentityToken).toBeTruthy();
    useDockerConfig(registry.dockerConfig({ user: registry.user, identityToken: login.IdentityToken! }));
    const since = registry.tokenRequests.length;
    const ref = reference('identity');
    const pushed = await pushAs(docker, imageId, ref);
    expect(await registryTagDigest(ref)).toBe(pushed.digest);
    const used = registry.tokenRequests.slice(since);
    expect(used.length).toBeGreaterThan(0);
    expect(used.every((r) => r.method === 'POST' && r.grant === 'refresh_token' && r.status === 200)).toBe(true);
    expect(used.map((r) => r.scopes)).toEqual(expect.arrayContaining([[`repository:${prefix}-identity:pull`], expect.arrayContaining([`repository:${prefix}-identity:push,pull`])]));
  });

  it('without credentials: looks up and pulls a repository the token service opens to anonymous pulls; a private one is refused in one line', async () => {
    useDockerConfig(registry.dockerConfig({ user: registry.user, password: registry.password }));
    const open = reference('public');
    const { digest } = await pushAs(docker, imageId, open);
    const closed = reference('private');
    await pushAs(docker, imageId, closed);

    useDockerConfig(registry.dockerConfig());
    expect(await registryTagDigest(open)).toBe(digest);
    await removeImage(docker, open);
    expect(await pullImage(docker, open)).toBe(true);
    expect((await inspectLocalImage(docker, open))?.id).toBe(imageId);

    const message = await refusal(registryTagDigest(closed));
    expect(message).toBe(
      `${registry.address} refused anonymous access (no credentials for ${registry.address} in ${join(process.env.DOCKER_CONFIG!, 'config.json')}) to show ${closed} (HTTP 401): run \`docker login ${registry.address}\` (or set DOCKER_CONFIG) with an account that may pull.`,
    );
  });

  it('with a wrong password or an unknown identity token: the look-up, the push and the pull each fail with one line naming the login and `docker login`', async () => {
    const ref = reference('refused');
    const wrongPassword = registry.dockerConfig({ user: registry.user, password: 'wrong password' });
    useDockerConfig(wrongPassword);
    const lookUp = await refusal(registryTagDigest(ref));
    expect(lookUp).toBe(
      `${registry.address} refused the credentials for user "${registry.user}" in ${join(wrongPassword, 'config.json')} for repository:${prefix}-refused:pull (token service ${registry.realm} answered HTTP 401): run \`docker login ${registry.address}\` (or set DOCKER_CONFIG) with an account that may pull.`,
    );
    const push = await refusal(pushAs(docker, imageId, ref));
    expect(push).toBe(
      `push ${ref}: ${registry.address} refused the credentials for user "${registry.user}" in ${join(wrongPassword, 'config.json')}: run \`docker login ${registry.address}\` (or set DOCKER_CONFIG) with an account that may push.`,
    );
    const pull = await refusal(pullImage(docker, ref));
    expect(pull).toBe(
      `pull ${ref}: ${registry.address} refused the credentials for user "${registry.user}" in ${join(wrongPassword, 'config.json')}: run \`docker login ${registry.address}\` (or set DOCKER_CONFIG) with an account that may pull.`,
    );

    const revoked = registry.dockerConfig({ user: registry.user, identityToken: 'revoked-or-never-issued' });
    useDockerConfig(revoked);
    expect(await refusal(registryTagDigest(ref))).toMatch(new RegExp(`^${registry.address} refused the identity token of user "${registry.user}" in .+: run \`docker login ${registry.address}\``));
    expect(await refusal(pushAs(docker, imageId, ref))).toMatch(new RegExp(`^push ${ref}: ${registry.address} refused the identity token of user "${registry.user}" in .+: run \`docker login ${registry.address}\``));
    for (const message of [lookUp, push, pull]) expect(message).not.toContain('\n');
  });

  it('reuses a token: a second look-up in the same scope asks the token service nothing; a token about to expire is not reused', async () => {
    useDockerConfig(registry.dockerConfig({ user: registry.user, password: registry.password }));
    const requestsFor = (name: string) => registry.tokenRequests.filter((r) => r.scopes.includes(`repository:${prefix}-${name}:pull`)).length;

    expect(await registryTagDigest(reference('reuse'))).toBeUndefined();
    expect(await registryTagDigest(reference('reuse', '2.0.0'))).toBeUndefined();
    expect(requestsFor('reuse')).toBe(1);

    // Lifetimes within the ten seconds a token is kept back from its expiry are fetched anew every time.
    registry.tokenLifetimeSeconds = 5;
    try {
      expect(await registryTagDigest(reference('short-lived'))).toBeUndefined();
      expect(await registryTagDigest(reference('short-lived'))).toBeUndefined();
      expect(requestsFor('short-lived')).toBe(2);
    } finally {
      registry.tokenLifetimeSeconds = 300;
    }
  });
});

describe('a registry with Basic auth (htpasswd)', () => {
  let basic: AuthRegistry;
  beforeAll(async () => {
    basic = await startAuthRegistry(BASIC_REGISTRY_PORT);
  });
  afterAll(async () => {
    await basic?.stop();
  });

  it('still gets Basic credentials: the look-up finds what the push stored, and a wrong password is refused in one line', async () => {
    const ref = `${basic.address}/${prefix}-htpasswd:1.0.0`;
    useDockerConfig(basic.dockerConfig(basic.user, basic.password));
    const pushed = await pushAs(docker, imageId, ref);
    expect(await registryTagDigest(ref)).toBe(pushed.digest);
    expect(await registryTagDigest(ref)).toBe(pushed.digest);

    const wrong = basic.dockerConfig(basic.user, 'wrong password');
    useDockerConfig(wrong);
    expect(await refusal(registryTagDigest(ref))).toBe(
      `${basic.address} refused the credentials for user "${basic.user}" in ${join(wrong, 'config.json')} to show ${ref} (HTTP 401): run \`docker login ${basic.address}\` (or set DOCKER_CONFIG) with an account that may pull.`,
    );
  });
});
