import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { bearerToken, hashToken, MIN_OPERATOR_TOKEN_CHARS, tokenMatches } from '@taskforge/control-plane-server';
import { isRequestRefused } from '@taskforge/task-images';
import { QueueFull, TaskImageBuilder, type TaskImageBuilderOptions } from './task-image-builder';

export interface ImageBuilderServerOptions extends TaskImageBuilderOptions {
  /** Every route but /healthz needs `Authorization: Bearer <operatorToken>` (the control plane's operator scheme). */
  operatorToken: string;
  logger?: FastifyServerOptions['logger'];
}

export interface ImageBuilderServer {
  app: FastifyInstance;
  builder: TaskImageBuilder;
}

type BuildParams = { Params: { id: string }; Querystring: { follow?: string; from?: string } };

// A request body is a task id and at most 50 capabilities of at most 200 characters: 64 KiB is plenty.
const BODY_LIMIT = 64 * 1024;

/**
 * The image-builder's HTTP API; `listen` is the caller's. POST answers at
 * once (202) with the build's id and state; the build runs in the background.
 */
export function buildImageBuilderServer(options: ImageBuilderServerOptions): ImageBuilderServer {
  if (typeof options.operatorToken !== 'string' || options.operatorToken.length < MIN_OPERATOR_TOKEN_CHARS || /\s/.test(options.operatorToken)) {
    throw new Error(`operatorToken must be at least ${MIN_OPERATOR_TOKEN_CHARS} characters without spaces`);
  }
  const operatorTokenHash = hashToken(options.operatorToken);
  const builder = new TaskImageBuilder(options);
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: BODY_LIMIT });

  // Every refusal is one line: a malformed body, an unknown route or a body too large never shows a stack.
  app.setErrorHandler((error, _request, reply) => {
    if (isRequestRefused(error)) return reply.code(error.status).send({ error: error.message });
    if (error instanceof QueueFull) return reply.code(429).header('retry-after', String(error.retryAfterS)).send({ error: error.message });
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: 'the request is not a JSON object of at most 64 KiB; send {"task_id": "...", "capabilities": ["..."]}' });
    reply.log.error(error);
    return reply.code(500).send({ error: 'internal error; see the image-builder log' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'no such route' }));

  app.get('/healthz', async () => ({ ok: true }));

  app.register(async (operator) => {
    operator.addHook('onRequest', async (request, reply: FastifyReply) => {
      if (!tokenMatches(bearerToken(request.headers.authorization), operatorTokenHash)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong operator token' });
      }
    });

    operator.post('/v1/task-images', async (request, reply) => {
      const record = await builder.submit(request.body);
      return reply.code(202).header('location', `/v1/task-images/${record.id}`).send({ id: record.id, state: record.state });
    });

    operator.get<BuildParams>('/v1/task-images/:id', async (request, reply) => {
      const record = await builder.get(request.params.id);
      return record ? record : reply.code(404).send({ error: 'no such build' });
    });

    // The build log as text, one line per line; with ?follow=true it stays open until the build ends.
    operator.get<BuildParams>('/v1/task-images/:id/log', async (request, reply) => {
      const id = request.params.id;
      if (!(await builder.get(id))) return reply.code(404).send({ error: 'no such build' });
      const follow = request.query.follow === 'true' || request.query.follow === '1';
      let next = Math.max(0, Number.parseInt(request.query.from ?? '0', 10) || 0);
      if (!follow) return reply.type('text/plain; charset=utf-8').send((await builder.store.log(id, next)).map((line) => `${line}\n`).join(''));
      reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      for (;;) {
        // The state is read before the lines: every line of a build is written before its final state.
        const state = (await builder.get(id))!.state;
        const lines = await builder.store.log(id, next);
        next += lines.length;
        if (lines.length) reply.raw.write(lines.map((line) => `${line}\n`).join(''));
        if (state === 'done' || state === 'failed') break;
        if (reply.raw.destroyed) return reply;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      reply.raw.end();
      return reply;
    });
  });

  // The store opens (and a previous run's unfinished builds are taken up) before the first request is served.
  app.addHook('onReady', async () => {
    await builder.start();
  });
  app.addHook('onClose', async () => builder.stop());
  return { app, builder };
}
