export { runImageChecks, IMAGE_TESTS_DIR, type CheckResult } from './image-checks';
