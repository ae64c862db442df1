export { runImageChecks, type CheckResult } from './image-checks';
