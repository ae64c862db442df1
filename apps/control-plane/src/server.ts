import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { action, actionResult, heartbeat, registerRequest } from '@taskforge/agent-contract';
import { PolicyFile, PolicyUnavailable } from './policy-file';
import { TaskStore, UnknownAction, UnknownTask } from './task-store';

export interface ControlPlaneOptions {
  policyFile: string;
  /** When set, agent calls must carry `Authorization: Bearer <token>`. */
  token?: string;
  logger?: boolean;
}

const createTask = z
  .object({ task_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).optional(), actions: z.array(action).default([]), close_when_empty: z.boolean().default(true) })
  .strict();

type TaskParams = { Params: { taskId: string } };

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The control plane's HTTP API; `listen` is the caller's. */
export function buildControlPlane(options: ControlPlaneOptions): { app: FastifyInstance; tasks: TaskStore } {
  const app = Fastify({ logger: options.logger ?? false });
  const tasks = new TaskStore();
  const policies = new PolicyFile(options.policyFile);

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    if (error instanceof z.ZodError) return reply.code(400).send({ error: 'invalid request', issues: error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) });
    if (error instanceof UnknownTask) return reply.code(404).send({ error: error.message });
    if (error instanceof UnknownAction) return reply.code(409).send({ error: error.message });
    if (error instanceof PolicyUnavailable) return reply.code(503).send({ error: error.message });
    return reply.code(error.statusCode ?? 500).send({ error: error.message });
  });

  const agentAuth = async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.token && !tokenMatches(request.headers.authorization, options.token)) return reply.code(401).send({ error: 'missing or wrong bearer token' });
  };

  app.get('/healthz', async () => ({ ok: true }));

  // Operators and tests: create tasks, add actions, read what happened.
  app.post('/v1/tasks', async (request, reply) => {
    const body = createTask.parse(request.body ?? {});
    const task = tasks.create(body.actions, { taskId: body.task_id, closeWhenEmpty: body.close_when_empty });
    return reply.code(201).send({ task_id: task.task_id });
  });
  app.post<TaskParams>('/v1/tasks/:taskId/actions', async (request) => {
    tasks.enqueue(request.params.taskId, z.array(action).parse(request.body));
    return { queued: tasks.get(request.params.taskId).queued.length };
  });
  app.post<TaskParams>('/v1/tasks/:taskId/close', async (request) => ({ task_id: tasks.close(request.params.taskId).task_id }));
  app.get<TaskParams>('/v1/tasks/:taskId', async (request) => tasks.get(request.params.taskId));

  // The agent runtime's side of the contract.
  app.register(async (agent) => {
    agent.addHook('onRequest', agentAuth);
    agent.post<TaskParams>('/v1/tasks/:taskId/register', async (request) => {
      const task = tasks.register(request.params.taskId, registerRequest.parse(request.body).agent);
      return { task_id: task.task_id, heartbeat_interval_s: 5 };
    });
    agent.get<TaskParams>('/v1/tasks/:taskId/policy', async (request) => {
      tasks.get(request.params.taskId);
      return policies.policyFor(request.params.taskId);
    });
    agent.get<TaskParams>('/v1/tasks/:taskId/actions/next', async (request) => tasks.next(request.params.taskId));
    agent.post<{ Params: { taskId: string; actionId: string } }>('/v1/tasks/:taskId/actions/:actionId/result', async (request, reply) => {
      const result = actionResult.parse(request.body);
      if (result.action_id !== request.params.actionId) return reply.code(400).send({ error: `result is for ${result.action_id}, not ${request.params.actionId}` });
      tasks.record(request.params.taskId, result);
      return { recorded: true };
    });
    agent.post<TaskParams>('/v1/tasks/:taskId/heartbeat', async (request) => {
      tasks.heartbeat(request.params.taskId, heartbeat.parse(request.body));
      return { ok: true };
    });
  });

  return { app, tasks };
}
