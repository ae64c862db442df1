export { UserError, isUserError, describeError } from './user-error';
