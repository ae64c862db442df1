import { HOSTILE_CAPABILITIES, HOSTILE_TASK_IDS, UNAPPROVED_CLASS, type HostileValue } from '@taskforge/testing';
import { approveCapabilities, isRequestRefused, MAX_REFUSAL_CHARS, parseCapability, parseCapabilityList, parseTaskId } from '../src';
import { TEST_CATALOGUE } from './test-catalogue';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A short printable name for an entry, for failure lists. */
function label(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'symbol' || typeof value === 'bigint' || typeof value === 'function' ? typeof value : (JSON.stringify(value) ?? String(value));
  return text.length > 70 ? `${text.slice(0, 70)}... (${text.length})` : text;
}

/** What is wrong with how `run` treats `value` (empty when it is refused as it must be). */
function problems(run: () => unknown, value: unknown, status: 400 | 403, prefix: string): string[] {
  let error: unknown;
  try {
    run();
    return ['accepted'];
  } catch (caught) {
    error = caught;
  }
  if (!isRequestRefused(error)) return [`threw ${String(error)}`];
  const found: string[] = [];
  if (error.status !== status) found.push(`status ${error.status}`);
  if (!error.message.startsWith(prefix)) found.push(`message does not start with ${prefix}`);
  if (LINE_BREAKING.test(error.message)) found.push('message has a control or line-separator character');
  if (error.message.length > MAX_REFUSAL_CHARS) found.push(`message is ${error.message.length} characters`);
  // A value with such characters is never echoed raw, only escaped.
  if (typeof value === 'string' && /[^\x20-\x7e]/.test(value) && error.message.includes(value)) found.push('message holds the raw value');
  return found;
}

function failures(entries: readonly HostileValue[], check: (value: unknown) => string[]): string[] {
  return entries.flatMap((entry) => check(entry.value).map((problem) => `${label(entry.value)}: ${problem}`));
}

const classes = (entries: readonly HostileValue[]): string[] => [...new Set(entries.map((entry) => entry.class))];

describe('the hostile corpus', () => {
  it('has several hundred capabilities and task ids in classes', () => {
    expect(HOSTILE_CAPABILITIES.length).toBeGreaterThan(500);
    expect(classes(HOSTILE_CAPABILITIES).length).toBeGreaterThan(10);
    expect(HOSTILE_TASK_IDS.length).toBeGreaterThan(80);
  });

  it.each(classes(HOSTILE_CAPABILITIES))('refuses every capability of class: %s', (klass) => {
    const status = klass === UNAPPROVED_CLASS ? 403 : 400;
    const entries = HOSTILE_CAPABILITIES.filter((entry) => entry.class === klass);
    expect(
      failures(entries, (value) => [
        // Alone, at index 3 of a request (approval numbers the requests it is given).
        ...problems(() => approveCapabilities(TEST_CATALOGUE, [parseCapability(value, 3)]), value, status, status === 400 ? 'capabilities[3]: ' : 'capabilities[0]: '),
        // Second in a list after an approved capability.
        ...problems(() => approveCapabilities(TEST_CATALOGUE, parseCapabilityList(['apt_package:ripgrep', value])), value, status, 'capabilities[1]: '),
      ]),
    ).toEqual([]);
  });

  it.each(classes(HOSTILE_TASK_IDS))('refuses every task id of class: %s', (klass) => {
    const entries = HOSTILE_TASK_IDS.filter((entry) => entry.class === klass);
    expect(failures(entries, (value) => problems(() => parseTaskId(value), value, 400, 'task id '))).toEqual([]);
  });

  it('refuses hostile list values', () => {
    const lists = [HOSTILE_CAPABILITIES.map((entry) => entry.value), 'pip_package:pandas==2.0.0', { length: 1, 0: 'apt_package:jq' }, undefined, null, 'x'.repeat(1 << 20)];
    expect(failures(lists.map((value) => ({ class: 'list', value })), (value) => problems(() => parseCapabilityList(value), value, 400, 'capabilities: '))).toEqual([]);
  });
});
