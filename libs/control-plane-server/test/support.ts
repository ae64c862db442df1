import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildControlPlane, type ControlPlane, type ControlPlaneOptions } from '../src';

export const OPERATOR_TOKEN = 'op-test-token-0123456789abcdef';
export const AGENT = { hostname: 'h', pid: 1, runtime_version: '1.0.0', python: '3.11.2' };
export const FILE_RULES = [{ id: 'files', effect: 'allow', actions: ['read_file', 'write_file', 'list_files'] }];

export interface Response {
  status: number;
  body: Record<string, any>;
  headers: Headers;
}

export interface Running extends ControlPlane {
  base: string;
  policyFile: string;
  /** Writes the policy file: `{ serial, tasks }` (or raw text). */
  writePolicy(policy: unknown): void;
  /** An HTTP call with `Authorization: Bearer <token>`; the operator token unless told otherwise, none for null. */
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<Response>;
  /** Creates a task through the API and returns its id and agent token. */
  createTask(body?: Record<string, unknown>): Promise<{ taskId: string; agentToken: string }>;
}

export function policyText(tasks: Record<string, unknown>, serial = 1): string {
  return JSON.stringify({ serial, tasks });
}

/** A real control plane on 127.0.0.1, port chosen by the OS. */
export async function startControlPlane(options: Partial<ControlPlaneOptions> = {}, policy: string = policyText({ '*': { rules: FILE_RULES } })): Promise<Running> {
  const policyFile = join(mkdtempSync(join(tmpdir(), 'cp-')), 'policies.json');
  writeFileSync(policyFile, policy);
  const controlPlane = buildControlPlane({ policyFile, operatorToken: OPERATOR_TOKEN, ...options });
  const base = await controlPlane.app.listen({ host: '127.0.0.1', port: 0 });
  const call = async (method: string, path: string, body?: unknown, token: string | null = OPERATOR_TOKEN): Promise<Response> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any>, headers: response.headers };
  };
  return {
    ...controlPlane,
    base,
    policyFile,
    writePolicy: (next) => writeFileSync(policyFile, typeof next === 'string' ? next : JSON.stringify(next)),
    call,
    createTask: async (body = {}) => {
      const created = await call('POST', '/v1/tasks', body);
      if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
      return { taskId: created.body.task_id, agentToken: created.body.agent_token };
    },
  };
}

export const decision = (actionId: string, actionType = 'write_file') => ({
  decision_id: `d-${actionId}`,
  action_id: actionId,
  action_type: actionType,
  allowed: true,
  matched_rule: 'files',
  policy_revision: 'r',
  reason: 'allowed by rule',
});

export const result = (actionId: string, extra: Record<string, unknown> = {}) => ({ action_id: actionId, status: 'succeeded', decision: decision(actionId), duration_ms: 3, ...extra });
