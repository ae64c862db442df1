import { z } from 'zod';
import { action, argv } from './actions';
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

/**
 * The JSON Schemas of the contract. Refinements have no JSON Schema form and are dropped, so each one the runtime must
 * hold too is either written as a regex in the zod schema or published here: argv[0] names a program (`prefixItems`).
 * The rules of the wire (no lone surrogates, no duplicate keys, finite numbers, nesting) are the runtime's
 * `parse_message` and `check`, and `parseContractMessage` here.
 */
export function contractJsonSchemas(): Record<string, unknown> {
  const override = (ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) => {
    if (ctx.zodSchema === argv) ctx.jsonSchema.prefixItems = [{ ...(ctx.jsonSchema.items as Record<string, unknown>), minLength: 1 }];
  };
  return Object.fromEntries(
    Object.entries(CONTRACT_SCHEMAS).map(([name, schema]) => [name, z.toJSONSchema(schema as z.ZodType, { io: 'output', target: 'draft-2020-12', override })]),
  );
}
