import type { ActionInput, ActionResult } from '@taskforge/agent-contract';
import { repoImage } from '@taskforge/testing';
import { startAgent, startHarness, type Harness } from '@taskforge/agent-harness';

jest.setTimeout(10 * 60 * 1000);

// The container log is the audit record a platform keeps, so nothing a task runs may write into it or stop the runtime
// that writes it. Every way a command of the same UID could reach the log's writer: the log's file descriptors in /proc
// of any process, the runtime's memory, tracing it, and signals that stop or kill it.

const python = (id: string, script: string): ActionInput => ({ id, type: 'run_command', argv: ['python3', '-c', script] });

const FORGED = 'FORGED-AUDIT-LINE';

const attack = `
import ctypes, errno, json, os, signal, sys
line = json.dumps({"ts": "2026-01-01T00:00:00.000Z", "level": "info", "task_id": os.environ.get("TASK_ID", "t"), "event": "audit", "fields": {"marker": "${FORGED}", "allowed": True}})
me = os.getpid()
outcome = {}
def note(what, error=None):
    outcome[what] = "reached" if error is None else errno.errorcode.get(error.errno, str(error.errno))
# Any open file of any other process: the log is some process's stdout or stderr, and a partial line would spoil the next real one.
for pid in sorted(int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != me):
    for fd in range(0, 16):
        try:
            handle = os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY | os.O_NONBLOCK)
        except OSError as error:
            if error.errno != errno.ENOENT:
                outcome.setdefault(f'/proc/{pid}/fd', errno.errorcode.get(error.errno))
            continue
        try:
            os.write(handle, (line + '\\n' + '{"partial": ').encode())
            note(f'/proc/{pid}/fd/{fd}')
        except OSError as error:
            note(f'/proc/{pid}/fd/{fd} write', error)
        finally:
            os.close(handle)
    try:
        with open(f'/proc/{pid}/mem', 'r+b', buffering=0):
            note(f'/proc/{pid}/mem')
    except OSError as error:
        note(f'/proc/{pid}/mem', error)
libc = ctypes.CDLL(None, use_errno=True)
for request, name in ((16, 'PTRACE_ATTACH'), (0x4206, 'PTRACE_SEIZE')):
    if libc.ptrace(request, 1, None, None) == 0:
        note(f'{name} 1')
    else:
        note(f'{name} 1', OSError(ctypes.get_errno(), ''))
# Signals that would stop or kill a process that does not handle them; kill() succeeds, the kernel drops them for PID 1.
for sig in (signal.SIGSTOP, signal.SIGKILL, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGSEGV):
    try:
        os.kill(1, sig)
    except OSError as error:
        note(f'kill 1 {sig.name}', error)
# The same at each thread of PID 1 (tgkill, tkill: the protection is the whole thread group's).
import platform
tgkill, tkill = {"x86_64": (234, 200), "aarch64": (131, 130)}[platform.machine()]
for tid in sorted(int(t) for t in os.listdir('/proc/1/task')):
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        libc.syscall(tgkill, 1, tid, sig)
        libc.syscall(tkill, tid, sig)
print(json.dumps({"pid1": open('/proc/1/cmdline', 'rb').read().split(b'\\0')[:5], "outcome": outcome}, default=lambda b: b.decode()))
`;

describe('openclaw-base: the audit trail cannot be forged by a task', () => {
  let harness: Harness;
  beforeAll(async () => {
    await repoImage('agent-base');
    harness = await startHarness();
  });
  afterAll(() => harness?.dispose());

  it('no command writes into the container log or stops the runtime: /proc fds of every process, its memory, ptrace, and the signals PID 1 does not handle', async () => {
    const taskId = await harness.createTask([
      python('attack', attack),
      // Every process this UID may signal, at once: all but PID 1 and the caller.
      python('kill-all', "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept ProcessLookupError:\n    pass  # nothing else to signal: PID 1 is spared\nprint('sent')"),
      { id: 'after', type: 'run_command', argv: ['echo', 'still here'] },
    ]);
    const run = await startAgent(harness, taskId);
    // startAgent parses every log line against the contract's log-line schema: a forged partial line fails it.
    const { exitCode, lines, stdout } = await run.exited;
    const task = await harness.task(taskId);
    const resultOf = (id: string): ActionResult | undefined => task.results.find((r) => r.action_id === id);
    expect(exitCode).toBe(0);
    const report = JSON.parse(resultOf('attack')!.stdout!) as { pid1: string[]; outcome: Record<string, string> };
    // PID 1 is the runtime itself, not an init in front of it holding the log.
    expect(report.pid1).toEqual(['/usr/bin/python3', '-I', '-m', 'agent.agent_runtime', '']);
    expect(Object.entries(report.outcome).filter(([, how]) => how === 'reached')).toEqual([]);
    expect(report.outcome['PTRACE_ATTACH 1']).toBe('EPERM');
    expect(stdout).not.toContain(FORGED);
    expect(lines.filter((l) => l.event === 'audit').map((l) => l.fields)).not.toContainEqual(expect.objectContaining({ marker: FORGED }));
    // The runtime lived through it all and went on; the control plane recorded every decision from the results themselves.
    expect(resultOf('after')).toMatchObject({ status: 'succeeded', stdout: 'still here\n' });
    expect(resultOf('kill-all')).toMatchObject({ status: 'succeeded', stdout: 'sent\n' });
    expect(task.results.map((r) => [r.action_id, r.decision.allowed])).toEqual([
      ['attack', true],
      ['kill-all', true],
      ['after', true],
    ]);
  });
});
