import { readFileSync } from 'node:fs';
import { generateOperatorToken } from '@taskforge/control-plane-server';
import { buildImageBuilderServer, type ImageBuilderServer } from '@taskforge/image-builder-server';
import { builderOptionsFromEnv, fail } from './settings';

function operatorToken(): string {
  const file = process.env.IMAGE_BUILDER_OPERATOR_TOKEN_FILE;
  const value = process.env.IMAGE_BUILDER_OPERATOR_TOKEN;
  if (file && value) fail('set IMAGE_BUILDER_OPERATOR_TOKEN_FILE or IMAGE_BUILDER_OPERATOR_TOKEN, not both');
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      fail(`IMAGE_BUILDER_OPERATOR_TOKEN_FILE=${file} cannot be read: ${(error as Error).message}`);
    }
  }
  if (value) return value;
  // Never run open: without a configured token, make one and show it to whoever started the process, once.
  const generated = generateOperatorToken();
  console.error(`[image-builder] no IMAGE_BUILDER_OPERATOR_TOKEN_FILE or IMAGE_BUILDER_OPERATOR_TOKEN set: every route takes this token, generated for this run only (Authorization: Bearer <token>):\n${generated}`);
  return generated;
}

const host = process.env.IMAGE_BUILDER_HOST ?? '127.0.0.1';
const port = Number(process.env.IMAGE_BUILDER_PORT ?? 8100);

let server: ImageBuilderServer;
try {
  server = buildImageBuilderServer({ ...builderOptionsFromEnv(), operatorToken: operatorToken(), logger: true });
} catch (error) {
  fail(`cannot start: ${(error as Error).message}`);
}

const { app, builder } = server;
// The store opens first (PostgreSQL may be unreachable or refuse the password): its own one-line error, not a listen error.
Promise.resolve(app.ready())
  .catch((error: Error) => fail(`cannot open the build store (${process.env.IMAGE_BUILDER_DATABASE_URL || process.env.IMAGE_BUILDER_DATABASE_URL_FILE ? 'IMAGE_BUILDER_DATABASE_URL' : 'IMAGE_BUILDER_DATA_DIR'}): ${error.message}`))
  .then(() => app.listen({ host, port }))
  .then(
  (address: string) => {
    app.log.info(`image-builder on ${address}; replica ${builder.replica}; ${builder.resumedAtStart.length} unfinished build(s) taken up again`);
  },
  (error: Error) => {
    console.error(`[image-builder] cannot listen on ${host}:${port}: ${error.message}; set IMAGE_BUILDER_PORT or IMAGE_BUILDER_HOST.`);
    process.exit(1);
  },
);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
