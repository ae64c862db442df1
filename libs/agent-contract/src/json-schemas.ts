import { z } from 'zod';
import { action } from './actions';
import { actionResult, heartbeat, logLine, nextActionResponse, registerRequest, registerResponse } from './messages';
import { decision, policy } from './policy';

/** Every message of the contract, by the file name its JSON Schema is published under. */
export const CONTRACT_SCHEMAS = {
  'register-request': registerRequest,
  'register-response': registerResponse,
  policy,
  'next-action-response': nextActionResponse,
  action,
  decision,
  'action-result': actionResult,
  heartbeat,
  'log-line': logLine,
} as const;

export function contractJsonSchemas(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(CONTRACT_SCHEMAS).map(([name, schema]) => [name, z.toJSONSchema(schema as z.ZodType, { io: 'output', target: 'draft-2020-12' })]),
  );
}
