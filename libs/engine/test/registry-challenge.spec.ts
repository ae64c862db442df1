import { parseRegistryChallenge } from '../src/registry-challenge';

// The WWW-Authenticate forms registries answer a 401 with; the token flow reads realm, service and scope from them.
describe('parseRegistryChallenge', () => {
  it('reads a Bearer challenge whose scope holds commas and whose values are quoted or not', () => {
    expect(parseRegistryChallenge('Bearer realm="https://auth.example.test/token",service="registry.example.test",scope="repository:team/app:pull,push",error="insufficient_scope"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example.test/token', service: 'registry.example.test', scope: 'repository:team/app:pull,push', error: 'insufficient_scope' },
    });
    expect(parseRegistryChallenge('bearer Realm=https://auth.example.test/token, Service=registry')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example.test/token', service: 'registry' },
    });
    expect(parseRegistryChallenge('Bearer realm="https://auth.example.test/t\\"q",service="s"')?.params.realm).toBe('https://auth.example.test/t"q');
  });

  it('reads a Basic challenge, and gives nothing for a missing header or a scheme the flow cannot answer', () => {
    expect(parseRegistryChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseRegistryChallenge(null)).toBeUndefined();
    expect(parseRegistryChallenge('Negotiate abc')).toBeUndefined();
    expect(parseRegistryChallenge('BearerX realm="x"')).toBeUndefined();
  });
});
