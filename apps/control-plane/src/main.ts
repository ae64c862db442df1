import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildControlPlane } from './server';

const host = process.env.CONTROL_PLANE_HOST ?? '127.0.0.1';
const port = Number(process.env.CONTROL_PLANE_PORT ?? 8000);
const policyFile = resolve(process.env.CONTROL_PLANE_POLICY_FILE ?? resolve(__dirname, '../policies.example.json'));

if (!existsSync(policyFile)) {
  console.error(`[control-plane] CONTROL_PLANE_POLICY_FILE=${policyFile} does not exist: point it at a policy file (see apps/control-plane/policies.example.json).`);
  process.exit(2);
}

const { app } = buildControlPlane({ policyFile, token: process.env.CONTROL_PLANE_TOKEN || undefined, logger: true });
app.listen({ host, port }).then(
  (address) => app.log.info(`control plane on ${address}, policies from ${policyFile}`),
  (error: Error) => {
    console.error(`[control-plane] cannot listen on ${host}:${port}: ${error.message}; set CONTROL_PLANE_PORT or CONTROL_PLANE_HOST.`);
    process.exit(1);
  },
);
