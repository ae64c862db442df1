import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { action, actionResult, CONTRACT_LIMITS, heartbeat, registerRequest } from '@taskforge/agent-contract';
import { bearerToken, hashToken, MIN_OPERATOR_TOKEN_CHARS, tokenMatches } from './credentials';
import { LOST_TASK_DEFAULTS, LostTaskSweeper } from './lost-tasks';
import { PolicyFile, PolicyUnavailable } from './policy-file';
import { ActionRefused, TaskConflict, TaskStore, UnknownTask } from './task-store';

export interface ControlPlaneOptions {
  policyFile: string;
  /** The operator credential: operator routes need `Authorization: Bearer <operatorToken>`. At least 16 characters. */
  operatorToken: string;
  /** What `register` tells the runtime (seconds); default 5. */
  heartbeatIntervalS?: number;
  /** A running task whose agent is silent for heartbeatIntervalS × this becomes lost; default 3. */
  lostAfterMissedHeartbeats?: number;
  /** Serve HTTPS with this key and certificate (PEM) instead of plain HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  logger?: FastifyServerOptions['logger'];
}

/** `POST /v1/tasks` answer (201): the agent token appears here and nowhere else, ever. */
export interface CreateTaskResponse {
  task_id: string;
  agent_token: string;
}

export interface ControlPlane {
  app: FastifyInstance;
  tasks: TaskStore;
  policies: PolicyFile;
  lostTasks: LostTaskSweeper;
}

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
  return { heartbeatIntervalS, lostAfterMissedHeartbeats };
}

/**
 * The control plane's HTTP API; `listen` is the caller's.
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
  const tasks = new TaskStore();
  const policies = new PolicyFile(options.policyFile);
  const lostTasks = new LostTaskSweeper(tasks, timing);
  const operatorTokenHash = hashToken(options.operatorToken);

  app.addHook('onReady', async () => lostTasks.start());
  app.addHook('onClose', async () => lostTasks.stop());

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof z.ZodError) {
      const issues = error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
      return reply.code(400).send({ error: `invalid request: ${issues[0]}`, issues });
    }
    if (error instanceof UnknownTask) return reply.code(404).send({ error: error.message });
    if (error instanceof TaskConflict) return reply.code(409).send({ error: error.message });
    if (error instanceof ActionRefused) return reply.code(400).send({ error: error.message });
    if (error instanceof PolicyUnavailable) return reply.code(503).send({ error: error.message });
    if (error.statusCode !== undefined && error.statusCode < 500) return reply.code(error.statusCode).send({ error: error.message });
    request.log.error(error);
    return reply.code(500).send({ error: 'internal error; see the control plane log' });
  });

  const unauthorized = (reply: FastifyReply, error: string) => reply.code(401).header('www-authenticate', 'Bearer').send({ error });

  app.get('/healthz', async () => ({ ok: true }));

  // Operators and tests: create tasks, add actions, read what happened.
  app.register(async (operator) => {
    operator.addHook('onRequest', async (request, reply) => {
      if (!tokenMatches(bearerToken(request.headers.authorization), operatorTokenHash)) return unauthorized(reply, 'missing or wrong operator token');
    });
    operator.post('/v1/tasks', async (request, reply) => {
      const body = createTask.parse(request.body ?? {});
      const { task, agentToken } = tasks.create(body.actions, { taskId: body.task_id, closeWhenEmpty: body.close_when_empty });
      const created: CreateTaskResponse = { task_id: task.task_id, agent_token: agentToken };
      return reply.code(201).send(created);
    });
    operator.post<TaskParams>('/v1/tasks/:taskId/actions', async (request) => {
      const task = tasks.enqueue(request.params.taskId, z.array(action).parse(request.body));
      return { queued: task.queued.length };
    });
    operator.post<TaskParams>('/v1/tasks/:taskId/close', async (request) => ({ task_id: tasks.close(request.params.taskId).task_id }));
    operator.get<TaskParams>('/v1/tasks/:taskId', async (request) => tasks.get(request.params.taskId));
  });

  // The agent runtime's side of the contract: each task's own agent token, nothing else.
  app.register(async (agent) => {
    agent.addHook('onRequest', async (request: FastifyRequest<TaskParams>, reply) => {
      const { taskId } = request.params;
      if (!tasks.agentTokenMatches(taskId, bearerToken(request.headers.authorization))) return unauthorized(reply, 'missing or wrong agent token for this task');
      lostTasks.check(taskId);
      const task = tasks.get(taskId);
      if (task.state === 'lost') return reply.code(410).send({ error: `task ${taskId} is lost: ${task.lost_reason}; it is served no more` });
      if (task.state === 'done') return reply.code(410).send({ error: `task ${taskId} is done; it is served no more` });
      tasks.noteAgentRequest(taskId);
    });
    agent.post<TaskParams>('/v1/tasks/:taskId/register', async (request) => {
      const task = tasks.register(request.params.taskId, registerRequest.parse(request.body).agent);
      return { task_id: task.task_id, heartbeat_interval_s: timing.heartbeatIntervalS };
    });
    agent.get<TaskParams>('/v1/tasks/:taskId/policy', async (request) => policies.policyFor(request.params.taskId));
    agent.get<TaskParams>('/v1/tasks/:taskId/actions/next', async (request) => tasks.next(request.params.taskId));
    agent.post<{ Params: { taskId: string; actionId: string } }>('/v1/tasks/:taskId/actions/:actionId/result', async (request, reply) => {
      const result = actionResult.parse(request.body);
      if (result.action_id !== request.params.actionId) return reply.code(400).send({ error: `result is for ${result.action_id}, not ${request.params.actionId}` });
      const outcome = tasks.record(request.params.taskId, result);
      return outcome === 'repeated' ? { recorded: true, repeated: true } : { recorded: true };
    });
    agent.post<TaskParams>('/v1/tasks/:taskId/heartbeat', async (request) => {
      tasks.heartbeat(request.params.taskId, heartbeat.parse(request.body));
      return { ok: true };
    });
  });

  return { app, tasks, policies, lostTasks };
}
