export { CONTRACT_LIMITS } from './limits';
export { ACTION_ID_PATTERN, action, argv, runCommandAction, readFileAction, writeFileAction, listFilesAction, ACTION_TYPES, type Action, type ActionInput, type ActionType } from './actions';
export { COMMAND_PATTERN, COMMAND_PROGRAM_PATTERN, policy, policyRule, decision, type Policy, type PolicyRule, type Decision } from './policy';
export { EXEC_WRAPPER_PROGRAMS, isExecWrapper, policyContradictions, describeContradiction, type PolicyContradiction } from './policy-consistency';
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
export { ContractJsonError, contractString, hasLoneSurrogate, jsonTreeProblem, LONE_SURROGATE_MESSAGE, parseContractMessage } from './wire';
