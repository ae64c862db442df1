import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { action, actionResult, CONTRACT_LIMITS, heartbeat, parseContractMessage, registerRequest } from '@taskforge/agent-contract';
import { AgentSockets } from './agent-sockets';
import { bearerToken, hashToken, MIN_OPERATOR_TOKEN_CHARS, tokenMatches } from './credentials';
import { LOST_TASK_DEFAULTS, LostTaskSweeper } from './lost-tasks';
import { PolicyFile, PolicyUnavailable } from './policy-file';
import { openTaskStore } from './open-task-store';
import { ResultNotStored, StoreFull, TaskQuotaExceeded, type TaskCaps } from './task-caps';
import { ActionRefused, TaskConflict, UnknownTask, type TaskStore } from './task-store';

export interface ControlPlaneOptions {
  policyFile: string;
  /** The operator credential: operator routes need `Authorization: Bearer <operatorToken>`. At least 16 characters. */
  operatorToken: string;
  /** What `register` tells the runtime (seconds); default 5. */
  heartbeatIntervalS?: number;
  /** A running task whose agent is silent for heartbeatIntervalS × this becomes lost; default 3. */
  lostAfterMissedHeartbeats?: number;
  /** SQLite: the directory of `control-plane.db` (created when missing). With neither this nor databaseUrl nor store, a temporary directory removed on close. */
  dataDir?: string;
  /** PostgreSQL (`postgres://user:password@host:5432/db`) instead of SQLite: several replicas serving the same tasks. */
  databaseUrl?: string;
  /** A store the caller made, opens and closes (its caps are its own); instead of dataDir or databaseUrl. */
  store?: TaskStore;
  /** Actions one task may be given over its life, and so results it may have; default 10,000. */
  maxTaskActions?: TaskCaps['maxTaskActions'];
  /** Bytes (JSON) of one task's actions and results; default 64 MiB. */
  maxTaskBytes?: TaskCaps['maxTaskBytes'];
  /** Bytes (JSON) of every task's actions and results; default 4 GiB. */
  maxStoredBytes?: TaskCaps['maxStoredBytes'];
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * One unix socket per task, `<agentSocketDir>/<task id>/control-plane.sock`, for agents without a network: each
   * serves its task's agent routes only. `POST /v1/tasks` answers the directory to mount (`agent_socket_dir`).
   */
  agentSocketDir?: string;
  /** Connections one task's socket takes at once; default 8 (a runtime keeps two). */
  agentSocketMaxConnections?: number;
  /** How long a task's socket outlives the task, so that a runtime coming back is told so (410); default 60 s. */
  agentSocketRetireAfterS?: number;
  logger?: FastifyServerOptions['logger'];
}

/** `POST /v1/tasks` answer (201): the agent token appears here and nowhere else, ever. */
export interface CreateTaskResponse {
  task_id: string;
  agent_token: string;
  /** With `agentSocketDir`: the task's socket directory, to mount read-only at /run/taskforge in its container. */
  agent_socket_dir?: string;
}

export interface ControlPlane {
  app: FastifyInstance;
  tasks: TaskStore;
  policies: PolicyFile;
  lostTasks: LostTaskSweeper;
  /** With `agentSocketDir`: the per-task sockets (the harness opens one for a task it creates in the store directly). */
  agentSockets?: AgentSockets;
}

/** How often the per-task sockets follow the store: tasks other replicas created, tasks done or lost. */
const AGENT_SOCKET_SYNC_MS = 2000;

export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const createTask = z
  .object({ task_id: z.string().regex(TASK_ID_PATTERN).optional(), actions: z.array(action).default([]), close_when_empty: z.boolean().default(true) })
  .strict();

type TaskParams = { Params: { taskId: string } };

function checkOptions(options: ControlPlaneOptions): Required<Pick<ControlPlaneOptions, 'heartbeatIntervalS' | 'lostAfterMissedHeartbeats'>> {
  if (typeof options.operatorToken !== 'string' || options.operatorToken.length < MIN_OPERATOR_TOKEN_CHARS || /\s/.test(options.operatorToken)) {
    throw new Error(`operatorToken must be at least ${MIN_OPERATOR_TOKEN_CHARS} characters without spaces`);
  }
  const heartbeatIntervalS = options.heartbeatIntervalS ?? LOST_TASK_DEFAULTS.heartbeatIntervalS;
  const lostAfterMissedHeartbeats = options.lostAfterMissedHeartbeats ?? LOST_TASK_DEFAULTS.lostAfterMissedHeartbeats;
  if (!(Number.isFinite(heartbeatIntervalS) && heartbeatIntervalS > 0)) throw new Error(`heartbeatIntervalS must be a positive number, not ${heartbeatIntervalS}`);
  if (!(Number.isInteger(lostAfterMissedHeartbeats) && lostAfterMissedHeartbeats > 0)) throw new Error(`lostAfterMissedHeartbeats must be a positive integer, not ${lostAfterMissedHeartbeats}`);
  const storage = [options.dataDir && 'dataDir', options.databaseUrl && 'databaseUrl', options.store && 'store'].filter(Boolean);
  if (storage.length > 1) throw new Error(`give one of dataDir, databaseUrl and store, not ${storage.join(' and ')}`);
  return { heartbeatIntervalS, lostAfterMissedHeartbeats };
}

/** The store the options name, and whether the control plane opens and closes it (not when the caller gave it). */
function storeOf(options: ControlPlaneOptions): { tasks: TaskStore; owned: boolean } {
  const caps = { maxTaskActions: options.maxTaskActions, maxTaskBytes: options.maxTaskBytes, maxStoredBytes: options.maxStoredBytes };
  if (options.store) {
    if (Object.values(caps).some((cap) => cap !== undefined)) throw new Error('give the caps to the store you pass, not to buildControlPlane');
    return { tasks: options.store, owned: false };
  }
  return { tasks: openTaskStore(options, caps), owned: true };
}

/**
 * The control plane's HTTP API; `listen` is the caller's. The store opens with
 * the app (`ready()`, `listen()`, the first `inject()`) and, unless the caller
 * gave it, closes with it.
 *
 * Two credentials, never interchangeable: the operator token for the routes
 * that create and steer tasks, and one agent token per task (issued when the
 * task is created) for the routes the runtime calls. A missing or wrong
 * credential is 401 before anything else is looked at, so task ids cannot be
 * probed.
 */
export function buildControlPlane(options: ControlPlaneOptions): ControlPlane {
  const timing = checkOptions(options);
  const common = { logger: options.logger ?? false, bodyLimit: CONTRACT_LIMITS.maxMessageBytes };
  // Both server kinds expose the same routing API; only listen() differs in protocol.
  const app = (options.tls ? Fastify({ ...common, https: { key: options.tls.key, cert: options.tls.cert } }) : Fastify(common)) as unknown as FastifyInstance;
  // Bodies are read under the contract's wire rules, the ones the runtime applies to what it receives: UTF-8 without a
  // BOM, no key twice, no lone surrogate, finite numbers, nesting within the limit. Fastify's own parser lets the
  // first three through, and the control plane would store (and hand on) what the runtime refuses.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseContractMessage(body as Buffer));
    } catch (error) {
      done(Object.assign(error as Error, { statusCode: 400 }), undefined);
    }
  });
  const { tasks, owned } = storeOf(options);
  if (options.agentSocketDir !== undefined && options.tls) throw new Error('agentSocketDir serves plain HTTP over unix sockets; it does not take tls');
  const agentSockets = options.agentSocketDir === undefined ? undefined : new AgentSockets(options.agentSocketDir, () => app.server, options.agentSocketMaxConnections, options.agentSocketRetireAfterS === undefined ? undefined : options.agentSocketRetireAfterS * 1000);
  let socketSync: NodeJS.Timeout | undefined;
  const syncSockets = async () => agentSockets?.sync(await tasks.liveTaskIds());
  const policies = new PolicyFile(options.policyFile);
  const lostTasks = new LostTaskSweeper(tasks, timing, (error) => app.log.error(`lost-task sweep failed: ${error.message}`));
  const operatorTokenHash = hashToken(options.operatorToken);

  app.addHook('onReady', async () => {
    if (owned) await tasks.open();
    lostTasks.start();
    if (agentSockets) {
      // After a restart every task still served gets its socket back; later, tasks other replicas created get theirs,
      // and a task done or lost loses its own.
      await syncSockets();
      socketSync = setInterval(() => syncSockets().catch((error: Error) => app.log.error(`agent socket sync failed: ${error.message}`)), AGENT_SOCKET_SYNC_MS);
      socketSync.unref();
    }
  });
  app.addHook('onClose', async () => {
    clearInterval(socketSync);
    await agentSockets?.closeAll();
    await lostTasks.stop();
    if (owned) await tasks.close();
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof z.ZodError) {
      const issues = error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
      return reply.code(400).send({ error: `invalid request: ${issues[0]}`, issues });
    }
    if (error instanceof UnknownTask) return reply.code(404).send({ error: error.message });
    if (error instanceof TaskConflict) return reply.code(409).send({ error: error.message });
    if (error instanceof ActionRefused) return reply.code(400).send({ error: error.message });
    // Over a cap: 413 when the request does not fit in its task's quota; 507 when the store as a whole is full.
    if (error instanceof TaskQuotaExceeded) return reply.code(413).send({ error: error.message });
    if (error instanceof StoreFull) return reply.code(507).send({ error: error.message });
    // A result over a cap, whichever: 413, since the runtime drops (and logs) a result on a 4xx and retries a 5xx without end.
    if (error instanceof ResultNotStored) return reply.code(413).send({ error: error.message });
    if (error instanceof PolicyUnavailable) return reply.code(503).send({ error: error.message });
    if (error.statusCode !== undefined && error.statusCode < 500) return reply.code(error.statusCode).send({ error: error.message });
    request.log.error(error);
    return reply.code(500).send({ error: 'internal error; see the control plane log' });
  });

  const unauthorized = (reply: FastifyReply, error: string) => reply.code(401).header('www-authenticate', 'Bearer').send({ error });
  const boundTask = (request: FastifyRequest) => agentSockets?.taskOf(request.raw.socket);

  app.get('/healthz', async () => ({ ok: true }));

  // Operators and tests: create tasks, add actions, read what happened.
  app.register(async (operator) => {
    operator.addHook('onRequest', async (request, reply) => {
      // A task's socket is inside the task's container: no operator route is served there, whatever the credential.
      if (boundTask(request) !== undefined) return reply.code(403).send({ error: 'operator routes are not served on a task socket' });
      if (!tokenMatches(bearerToken(request.headers.authorization), operatorTokenHash)) return unauthorized(reply, 'missing or wrong operator token');
    });
    operator.post('/v1/tasks', async (request, reply) => {
      const body = createTask.parse(request.body ?? {});
      const { task, agentToken } = await tasks.create(body.actions, { taskId: body.task_id, closeWhenEmpty: body.close_when_empty });
      const created: CreateTaskResponse = { task_id: task.task_id, agent_token: agentToken };
      if (agentSockets) created.agent_socket_dir = await agentSockets.ensure(task.task_id);
      return reply.code(201).send(created);
    });
    operator.post<TaskParams>('/v1/tasks/:taskId/actions', async (request) => {
      const task = await tasks.enqueue(request.params.taskId, z.array(action).parse(request.body));
      return { queued: task.queued };
    });
    operator.post<TaskParams>('/v1/tasks/:taskId/close', async (request) => ({ task_id: (await tasks.closeTask(request.params.taskId)).task_id }));
    operator.get<TaskParams>('/v1/tasks/:taskId', async (request) => await tasks.get(request.params.taskId));
    // What frees the caps: a finished task, read and kept elsewhere by the operator, goes with its results.
    operator.delete<TaskParams>('/v1/tasks/:taskId', async (request) => {
      const freed = await tasks.delete(request.params.taskId);
      await agentSockets?.retire(request.params.taskId);
      return { task_id: request.params.taskId, deleted: true, freed_bytes: freed };
    });
  });

  // The agent runtime's side of the contract: each task's own agent token, nothing else.
  app.register(async (agent) => {
    agent.addHook('onRequest', async (request: FastifyRequest<TaskParams>, reply) => {
      const { taskId } = request.params;
      const bound = boundTask(request);
      if (bound !== undefined && bound !== taskId) return reply.code(403).send({ error: `this socket serves task ${bound} only` });
      if (!(await tasks.agentTokenMatches(taskId, bearerToken(request.headers.authorization)))) return unauthorized(reply, 'missing or wrong agent token for this task');
      await lostTasks.check(taskId);
      if (await lostTasks.noteAgentRequest(taskId)) return;
      // Lost or done, by now: perhaps just, on another replica.
      const task = await tasks.summary(taskId);
      if (task.state === 'lost') return reply.code(410).send({ error: `task ${taskId} is lost: ${task.lost_reason}; it is served no more` });
      return reply.code(410).send({ error: `task ${taskId} is done; it is served no more` });
    });
    agent.post<TaskParams>('/v1/tasks/:taskId/register', async (request) => {
      const task = await tasks.register(request.params.taskId, registerRequest.parse(request.body).agent);
      return { task_id: task.task_id, heartbeat_interval_s: timing.heartbeatIntervalS };
    });
    agent.get<TaskParams>('/v1/tasks/:taskId/policy', async (request) => policies.policyFor(request.params.taskId));
    agent.get<TaskParams>('/v1/tasks/:taskId/actions/next', async (request) => await tasks.next(request.params.taskId));
    agent.post<{ Params: { taskId: string; actionId: string } }>('/v1/tasks/:taskId/actions/:actionId/result', async (request, reply) => {
      const result = actionResult.parse(request.body);
      if (result.action_id !== request.params.actionId) return reply.code(400).send({ error: `result is for ${result.action_id}, not ${request.params.actionId}` });
      const outcome = await tasks.record(request.params.taskId, result);
      return outcome === 'repeated' ? { recorded: true, repeated: true } : { recorded: true };
    });
    agent.post<TaskParams>('/v1/tasks/:taskId/heartbeat', async (request) => {
      await tasks.heartbeat(request.params.taskId, heartbeat.parse(request.body));
      return { ok: true };
    });
  });

  return { app, tasks, policies, lostTasks, agentSockets };
}
