import { buildControlPlane } from '../src';
import { AGENT, OPERATOR_TOKEN, startControlPlane, type Running } from './support';
import { httpsJson, makeTestPki, type TestPki } from '@taskforge/testing';

describe('HTTPS', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let cp: Running;

  beforeAll(() => {
    pki = makeTestPki();
    otherPki = makeTestPki();
  });
  beforeEach(async () => {
    cp = await startControlPlane({ tls: { key: pki.key, cert: pki.cert } });
  });
  afterEach(() => cp.app.close());

  it('serves the whole API over HTTPS to a client trusting the CA', async () => {
    expect(cp.base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await httpsJson(`${cp.base}/healthz`, { ca: pki.ca })).toEqual({ status: 200, body: { ok: true } });
    const created = await httpsJson(`${cp.base}/v1/tasks`, { ca: pki.ca, method: 'POST', token: OPERATOR_TOKEN, body: { task_id: 'secure' } });
    expect(created).toMatchObject({ status: 201, body: { task_id: 'secure' } });
    const agentToken = created.body.agent_token as string;
    expect(await httpsJson(`${cp.base}/v1/tasks/secure/register`, { ca: pki.ca, method: 'POST', token: agentToken, body: { agent: AGENT } })).toMatchObject({ status: 200 });
    expect(await httpsJson(`${cp.base}/v1/tasks/secure/policy`, { ca: pki.ca, token: agentToken })).toMatchObject({ status: 200, body: { task_id: 'secure', serial: 1 } });
  });

  it.each<[string, () => Parameters<typeof httpsJson>[1], RegExp]>([
    ['only the system CAs', () => ({}), /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY) /],
    ['another CA', () => ({ ca: otherPki.ca }), /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY) /],
    ['the right CA but another server name', () => ({ ca: pki.ca, servername: 'control-plane.example' }), /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames/],
  ])('a client trusting %s is refused by its own TLS check', async (_name, options, error) => {
    const attempt = httpsJson(`${cp.base}/healthz`, options()).then(
      () => 'connected',
      (e: NodeJS.ErrnoException) => `${e.code} ${e.message}`,
    );
    expect(await attempt).toMatch(error);
  });

  it('plain HTTP to the HTTPS port gets no answer from the API', async () => {
    const outcome = await fetch(cp.base.replace('https:', 'http:') + '/healthz').then(
      async (response) => `HTTP ${response.status}`,
      () => 'failed',
    );
    expect(outcome).not.toBe('HTTP 200');
  });

  it('refuses a key that does not parse, at build time', () => {
    expect(() => buildControlPlane({ policyFile: cp.policyFile, operatorToken: OPERATOR_TOKEN, tls: { key: 'not a key', cert: pki.cert } })).toThrow();
  });
});
