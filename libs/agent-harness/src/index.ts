export {
  healthOf,
  IMAGE,
  OPERATOR_TOKEN,
  startAgent,
  startHarness,
  TEST_RULES,
  waitFor,
  type AgentRun,
  type AgentStartOptions,
  type Harness,
  type HarnessEngine,
  type HarnessOptions,
} from './agent-harness';
