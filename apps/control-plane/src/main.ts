import { chmodSync, existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { AGENT_SOCKET_DEFAULT_MAX_CONNECTIONS, buildControlPlane, generateOperatorToken, LOST_TASK_DEFAULTS, PolicyUnavailable, TASK_CAP_DEFAULTS, type ControlPlane } from '@taskforge/control-plane-server';

/** The repository this file lives in: the default data directory is under its dist/. */
const REPO_ROOT = resolve(__dirname, '../../..');

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

/** PostgreSQL for several replicas (CONTROL_PLANE_DATABASE_URL, or a file holding it); SQLite when neither is set. */
function databaseUrl(): string | undefined {
  const file = process.env.CONTROL_PLANE_DATABASE_URL_FILE;
  const value = process.env.CONTROL_PLANE_DATABASE_URL;
  if (file && value) fail('set CONTROL_PLANE_DATABASE_URL_FILE or CONTROL_PLANE_DATABASE_URL, not both');
  const url = file ? readConfigFile('CONTROL_PLANE_DATABASE_URL_FILE', file).trim() : value;
  if (!url) return undefined;
  // The URL holds a password: name the variable, never echo the value.
  if (!/^postgres(ql)?:\/\//.test(url)) fail(`CONTROL_PLANE_DATABASE_URL${file ? '_FILE' : ''} must be a postgres://user:password@host:port/database URL`);
  return url;
}

/**
 * CONTROL_PLANE_SOCKET: a unix socket instead of host and port. A socket file
 * left by a previous run is removed; anything else at the path, or a socket
 * another process still answers on, is refused.
 */
async function socketPath(): Promise<string | undefined> {
  const raw = process.env.CONTROL_PLANE_SOCKET;
  if (!raw) return undefined;
  const path = resolve(raw);
  if (!existsSync(dirname(path))) fail(`CONTROL_PLANE_SOCKET=${raw}: directory ${dirname(path)} does not exist; create it or choose another path`);
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return path;
  }
  if (!stat.isSocket()) fail(`CONTROL_PLANE_SOCKET=${raw} exists and is not a socket; remove it or choose another path`);
  const answered = await new Promise<boolean>((done) => {
    const probe = connect(path, () => {
      probe.destroy();
      done(true);
    });
    probe.on('error', () => done(false));
  });
  if (answered) fail(`CONTROL_PLANE_SOCKET=${raw}: another process listens on it; stop it or choose another path`);
  unlinkSync(path);
  return path;
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

const dataDir = resolve(process.env.CONTROL_PLANE_DATA_DIR || resolve(REPO_ROOT, 'dist/control-plane'));
const database = databaseUrl();
const storeSetting = database ? `CONTROL_PLANE_DATABASE_URL${process.env.CONTROL_PLANE_DATABASE_URL_FILE ? '_FILE' : ''}` : `CONTROL_PLANE_DATA_DIR=${dataDir}`;
const host = process.env.CONTROL_PLANE_HOST ?? '127.0.0.1';
const port = Number(process.env.CONTROL_PLANE_PORT ?? 8000);
const policyFile = resolve(process.env.CONTROL_PLANE_POLICY_FILE ?? resolve(__dirname, '../policies.example.json'));

if (!existsSync(policyFile)) fail(`CONTROL_PLANE_POLICY_FILE=${policyFile} does not exist: point it at a policy file (see apps/control-plane/policies.example.json).`);

/**
 * CONTROL_PLANE_AGENT_SOCKET_DIR: one unix socket per task below it (`<dir>/<task id>/control-plane.sock`), for agent
 * containers without a network; the directory must exist, and is the operator's to mount task by task.
 */
function agentSocketDir(): string | undefined {
  const raw = process.env.CONTROL_PLANE_AGENT_SOCKET_DIR;
  if (!raw) return undefined;
  const path = resolve(raw);
  if (!existsSync(path) || !statSync(path).isDirectory()) fail(`CONTROL_PLANE_AGENT_SOCKET_DIR=${raw} is not a directory; create it (mode 755) or choose another path`);
  if (tls()) fail('CONTROL_PLANE_AGENT_SOCKET_DIR serves plain HTTP on unix sockets; unset CONTROL_PLANE_TLS_CERT_FILE and CONTROL_PLANE_TLS_KEY_FILE, or the socket directory');
  return path;
}

const tlsOptions = tls();
let controlPlane: ControlPlane;
try {
  controlPlane = buildControlPlane({
    policyFile,
    operatorToken: operatorToken(),
    heartbeatIntervalS: numberFromEnv('CONTROL_PLANE_HEARTBEAT_INTERVAL_S', LOST_TASK_DEFAULTS.heartbeatIntervalS, false),
    lostAfterMissedHeartbeats: numberFromEnv('CONTROL_PLANE_LOST_AFTER_MISSED_HEARTBEATS', LOST_TASK_DEFAULTS.lostAfterMissedHeartbeats, true),
    ...(database ? { databaseUrl: database } : { dataDir }),
    maxTaskActions: numberFromEnv('CONTROL_PLANE_MAX_TASK_ACTIONS', TASK_CAP_DEFAULTS.maxTaskActions, true),
    maxTaskBytes: numberFromEnv('CONTROL_PLANE_MAX_TASK_BYTES', TASK_CAP_DEFAULTS.maxTaskBytes, true),
    maxStoredBytes: numberFromEnv('CONTROL_PLANE_MAX_STORED_BYTES', TASK_CAP_DEFAULTS.maxStoredBytes, true),
    tls: tlsOptions,
    agentSocketDir: agentSocketDir(),
    agentSocketMaxConnections: numberFromEnv('CONTROL_PLANE_AGENT_SOCKET_MAX_CONNECTIONS', AGENT_SOCKET_DEFAULT_MAX_CONNECTIONS, true),
    logger: true,
  });
  // A broken or contradictory file is refused now rather than at the first agent's request.
  controlPlane.policies.check();
} catch (error) {
  if (error instanceof PolicyUnavailable) fail(error.message);
  fail(`cannot start: ${(error as Error).message}`);
}

const { app } = controlPlane;

async function serve(): Promise<void> {
  const socket = await socketPath();
  if (!socket && !tlsOptions && !/^(127\.|::1$|localhost$)/.test(host)) {
    console.error(`[control-plane] serving plain HTTP on ${host}: tokens cross the network in clear; set CONTROL_PLANE_TLS_CERT_FILE and CONTROL_PLANE_TLS_KEY_FILE`);
  }
  // The store opens first (PostgreSQL may be unreachable or refuse the password): its own one-line error, not a listen error.
  await Promise.resolve(app.ready()).catch((error: Error) => fail(`cannot open the task store (${storeSetting}): ${error.message}`));
  let address: string;
  try {
    address = socket ? await app.listen({ path: socket }) : await app.listen({ host, port });
  } catch (error) {
    console.error(`[control-plane] cannot listen on ${socket ?? `${host}:${port}`}: ${(error as Error).message}; set ${socket ? 'CONTROL_PLANE_SOCKET' : 'CONTROL_PLANE_PORT or CONTROL_PLANE_HOST'}.`);
    process.exit(1);
  }
  // A container's user (any UID) connects to a socket mounted into it; the socket is the boundary, the tokens the credential.
  if (socket) chmodSync(socket, 0o666);
  app.log.info(`control plane on ${socket ? `unix:${socket}` : address}, policies from ${policyFile}, tasks in ${database ? 'PostgreSQL' : dataDir}`);
}

void serve();
// Closing commits nothing new (every request commits its own transaction); it ends the PostgreSQL connections and the SQLite WAL cleanly.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
