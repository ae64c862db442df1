import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildControlPlane, generateOperatorToken, LOST_TASK_DEFAULTS, PolicyUnavailable, type ControlPlane } from '@taskforge/control-plane-server';

// Every refusal here is one line on stderr and exit 2: a configuration problem, for the operator to fix.
function fail(message: string): never {
  console.error(`[control-plane] ${message}`);
  process.exit(2);
}

function readConfigFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    fail(`${variable}=${path} cannot be read: ${(error as Error).message}`);
  }
}

function numberFromEnv(variable: string, fallback: number, integer: boolean): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) fail(`${variable}=${raw} must be a positive ${integer ? 'integer' : 'number'}`);
  return value;
}

function operatorToken(): string {
  const file = process.env.CONTROL_PLANE_OPERATOR_TOKEN_FILE;
  const value = process.env.CONTROL_PLANE_OPERATOR_TOKEN;
  if (file && value) fail('set CONTROL_PLANE_OPERATOR_TOKEN_FILE or CONTROL_PLANE_OPERATOR_TOKEN, not both');
  if (file) return readConfigFile('CONTROL_PLANE_OPERATOR_TOKEN_FILE', file).trim();
  if (value) return value;
  // Never run open: without a configured token, make one and show it to whoever started the process, once.
  const generated = generateOperatorToken();
  console.error(`[control-plane] no CONTROL_PLANE_OPERATOR_TOKEN_FILE or CONTROL_PLANE_OPERATOR_TOKEN set: operator routes take this token, generated for this run only (Authorization: Bearer <token>):\n${generated}`);
  return generated;
}

function tls(): { key: Buffer; cert: Buffer } | undefined {
  const certFile = process.env.CONTROL_PLANE_TLS_CERT_FILE;
  const keyFile = process.env.CONTROL_PLANE_TLS_KEY_FILE;
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) fail('set both CONTROL_PLANE_TLS_CERT_FILE and CONTROL_PLANE_TLS_KEY_FILE, or neither');
  return { cert: Buffer.from(readConfigFile('CONTROL_PLANE_TLS_CERT_FILE', certFile)), key: Buffer.from(readConfigFile('CONTROL_PLANE_TLS_KEY_FILE', keyFile)) };
}

const host = process.env.CONTROL_PLANE_HOST ?? '127.0.0.1';
const port = Number(process.env.CONTROL_PLANE_PORT ?? 8000);
const policyFile = resolve(process.env.CONTROL_PLANE_POLICY_FILE ?? resolve(__dirname, '../policies.example.json'));

if (!existsSync(policyFile)) fail(`CONTROL_PLANE_POLICY_FILE=${policyFile} does not exist: point it at a policy file (see apps/control-plane/policies.example.json).`);

const tlsOptions = tls();
let controlPlane: ControlPlane;
try {
  controlPlane = buildControlPlane({
    policyFile,
    operatorToken: operatorToken(),
    heartbeatIntervalS: numberFromEnv('CONTROL_PLANE_HEARTBEAT_INTERVAL_S', LOST_TASK_DEFAULTS.heartbeatIntervalS, false),
    lostAfterMissedHeartbeats: numberFromEnv('CONTROL_PLANE_LOST_AFTER_MISSED_HEARTBEATS', LOST_TASK_DEFAULTS.lostAfterMissedHeartbeats, true),
    tls: tlsOptions,
    logger: true,
  });
  // A broken or contradictory file is refused now rather than at the first agent's request.
  controlPlane.policies.check();
} catch (error) {
  if (error instanceof PolicyUnavailable) fail(error.message);
  fail(`cannot start: ${(error as Error).message}`);
}

if (!tlsOptions && !/^(127\.|::1$|localhost$)/.test(host)) {
  console.error(`[control-plane] serving plain HTTP on ${host}: tokens cross the network in clear; set CONTROL_PLANE_TLS_CERT_FILE and CONTROL_PLANE_TLS_KEY_FILE`);
}

const { app } = controlPlane;
app.listen({ host, port }).then(
  (address) => app.log.info(`control plane on ${address}, policies from ${policyFile}`),
  (error: Error) => {
    console.error(`[control-plane] cannot listen on ${host}:${port}: ${error.message}; set CONTROL_PLANE_PORT or CONTROL_PLANE_HOST.`);
    process.exit(1);
  },
);
