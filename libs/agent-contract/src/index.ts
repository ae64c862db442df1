export { action, runCommandAction, readFileAction, writeFileAction, listFilesAction, ACTION_TYPES, type Action, type ActionInput, type ActionType } from './actions';
export { policy, policyRule, decision, type Policy, type PolicyRule, type Decision } from './policy';
export {
  registerRequest,
  registerResponse,
  nextActionResponse,
  actionResult,
  heartbeat,
  logLine,
  type RegisterRequest,
  type NextActionResponse,
  type ActionResult,
  type Heartbeat,
  type LogLine,
} from './messages';
export { CONTRACT_SCHEMAS, contractJsonSchemas } from './json-schemas';
