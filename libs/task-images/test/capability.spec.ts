import { TASK_ID_PATTERN as CONTROL_PLANE_TASK_ID_PATTERN } from '@taskforge/control-plane-server';
import { isRequestRefused, parseCapability, parseCapabilityList, parseTaskId, RequestRefused, TASK_ID_PATTERN } from '../src';

function refusal(run: () => unknown): RequestRefused {
  try {
    run();
  } catch (error) {
    if (isRequestRefused(error)) return error;
    throw error;
  }
  throw new Error('expected a RequestRefused');
}

describe('parseCapability', () => {
  it.each([
    ['pip_package:pandas==2.0.0', { kind: 'pip_package', name: 'pandas', version: '2.0.0' }],
    ['pip_package:Python_Dateutil==2.8.2', { kind: 'pip_package', name: 'python-dateutil', version: '2.8.2' }],
    ['pip_package:zope.interface==6.0', { kind: 'pip_package', name: 'zope-interface', version: '6.0' }],
    ['pip_package:a==1', { kind: 'pip_package', name: 'a', version: '1' }],
    ['pip_package:pandas==2.0.0rc1', { kind: 'pip_package', name: 'pandas', version: '2.0.0rc1' }],
    ['pip_package:pandas==2.0.0.post1.dev3', { kind: 'pip_package', name: 'pandas', version: '2.0.0.post1.dev3' }],
    ['pip_package:pytz==2023.3', { kind: 'pip_package', name: 'pytz', version: '2023.3' }],
    ['apt_package:ripgrep', { kind: 'apt_package', name: 'ripgrep' }],
    ['apt_package:jq=1.6-2.1', { kind: 'apt_package', name: 'jq', version: '1.6-2.1' }],
    ['apt_package:g++', { kind: 'apt_package', name: 'g++' }],
    ['apt_package:libstdc++6=12.2.0-14', { kind: 'apt_package', name: 'libstdc++6', version: '12.2.0-14' }],
    ['apt_package:gcc=4:12.2.0-3', { kind: 'apt_package', name: 'gcc', version: '4:12.2.0-3' }],
    ['apt_package:ripgrep=13.0.0-4+b2', { kind: 'apt_package', name: 'ripgrep', version: '13.0.0-4+b2' }],
    ['apt_package:python3.11=3.11.2-6~deb12u1', { kind: 'apt_package', name: 'python3.11', version: '3.11.2-6~deb12u1' }],
  ])('accepts %s', (text, expected) => {
    expect(parseCapability(text, 0)).toEqual({ ...expected, text });
  });

  it.each([
    ['pip_package:pandas', 'is not a capability'],
    ['pip_package:pandas>=2.0.0', 'is not a capability'],
    ['pip_package:pandas==2.0.0 ', 'a space or a character outside printable ASCII'],
    ['pip_package:pandas[x]==2.0.0', 'is not a capability'],
    ['apt_package:jq/bookworm-backports', 'is not a capability'],
    ['apt_package:jq:amd64', 'is not a capability'],
    ['apt_package:jq-', 'is not a capability'],
    ['apt_package:j', 'is not a capability'],
    ['apt_package:jq=1:2:3', 'is not a capability'],
    ['PIP_PACKAGE:pandas==2.0.0', 'is not a capability'],
    [`pip_package:${'a'.repeat(186)}==1`, 'longer than 200 characters'],
    [42, 'is not a string'],
    [null, 'is not a string'],
  ])('refuses %j with 400', (value, why) => {
    const error = refusal(() => parseCapability(value, 7));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^capabilities\[7\]: /);
    expect(error.message).toContain(why);
    expect(error.message).toContain('accepted: pip_package:NAME==VERSION, apt_package:NAME, apt_package:NAME=VERSION');
  });

  it('accepts exactly 200 characters', () => {
    expect(parseCapability(`pip_package:${'a'.repeat(185)}==1`, 0).name).toHaveLength(185);
  });

  it('quotes a refused value escaped and cut', () => {
    const error = refusal(() => parseCapability(`pip_package:pandas==2.0.0\nRUN ${'x'.repeat(300)}`, 0));
    expect(error.message).toContain('"pip_package:pandas==2.0.0\\u000aRUN xxx');
    expect(error.message).toContain('... (330 characters)');
  });
});

describe('parseCapabilityList', () => {
  it('parses 1 to 50 different packages in order', () => {
    expect(parseCapabilityList(['apt_package:jq', 'pip_package:pandas==2.0.0']).map((request) => request.name)).toEqual(['jq', 'pandas']);
    expect(parseCapabilityList(Array.from({ length: 50 }, (_, index) => `apt_package:p${index}`))).toHaveLength(50);
  });

  it.each<[string, unknown, string]>([
    ['an empty list', [], 'expected an array of 1 to 50 capability strings, got an array of 0'],
    ['51 capabilities', Array.from({ length: 51 }, (_, index) => `apt_package:p${index}`), 'got an array of 51'],
    ['a string', 'pip_package:pandas==2.0.0', 'got "pip_package:pandas==2.0.0"'],
    ['an array-like object', { 0: 'apt_package:jq', length: 1 }, 'got a value of type object'],
    ['null', null, 'got null'],
    ['one package twice', ['apt_package:jq', 'apt_package:jq'], 'capabilities[1]: "apt_package:jq" names the same package as capabilities[0] (apt_package:jq)'],
    ['a package with and without version', ['apt_package:jq', 'apt_package:jq=1.6-2.1'], 'capabilities[1]: "apt_package:jq=1.6-2.1" names the same package as capabilities[0]'],
    ['two versions of a package', ['pip_package:pandas==2.0.0', 'pip_package:Pandas==1.5.3'], 'names the same package as capabilities[0] (pip_package:pandas)'],
    ['a number in the list', ['apt_package:jq', 7], 'capabilities[1]: the number 7 is not a string'],
  ])('refuses %s with 400', (_, value, message) => {
    const error = refusal(() => parseCapabilityList(value));
    expect(error.status).toBe(400);
    expect(error.message).toContain(message);
  });
});

describe('parseTaskId', () => {
  it('is the control plane rule', () => {
    expect(TASK_ID_PATTERN.source).toBe(CONTROL_PLANE_TASK_ID_PATTERN.source);
    expect(TASK_ID_PATTERN.flags).toBe(CONTROL_PLANE_TASK_ID_PATTERN.flags);
  });

  it.each(['task-1', 'a', 'T.1_x', '0'.repeat(128)])('accepts %s', (id) => {
    expect(parseTaskId(id)).toBe(id);
  });

  it.each(['', '-a', 'a/b', 'a'.repeat(129), 7])('refuses %j with 400', (id) => {
    const error = refusal(() => parseTaskId(id));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^task id .* is not valid; use 1 to 128 letters/);
  });
});
