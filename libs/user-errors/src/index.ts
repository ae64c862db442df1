export { UserError, isUserError, describeError } from './user-error';
export { fieldError, formatPath, shortJson, valueAt } from './json-field-error';
export { parseJsonText } from './json-text';
