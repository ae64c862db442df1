"""A command ends when it must: at its deadline, on cancel, or when it exits, nothing it started survives it.

These tests run the commands in this process, which therefore becomes the
subreaper the runtime is in production.
"""

import ctypes
import errno
import os
import shutil
import signal
import sys
import tempfile
import textwrap
import threading
import time
import unittest
from pathlib import Path
from unittest import mock

from agent import processes
from agent.processes import Cancellation, become_subreaper, descendants, kill_descendants, run_to_end

PYTHON = os.path.realpath(sys.executable)
SH = os.path.realpath(shutil.which("sh"))
ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}

# Made to wait until `n` pids are recorded: then the processes being tested really exist.
WAIT_FOR_PIDS = 'until [ "$(wc -l < pids 2>/dev/null || echo 0)" -ge {n} ]; do sleep 0.01; done'

PY_WAIT_FOR_PIDS = """
def wait_for_pids(n):
    while True:
        try:
            with open("pids") as f:
                if len(f.read().split()) >= n:
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.01)
def record():
    with open("pids", "a") as f:
        f.write(f"{os.getpid()}\\n")
"""

DOUBLE_FORK = PY_WAIT_FOR_PIDS + """
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        record()
        time.sleep(300)
    os._exit(0)
record()
wait_for_pids(2)
"""

IGNORES_SIGNALS = PY_WAIT_FOR_PIDS + """
for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(s, signal.SIG_IGN)
if os.fork() == 0:
    os.setsid()
    record()
    while True:
        time.sleep(300)
record()
wait_for_pids(2)
"""

FORK_LOOP = PY_WAIT_FOR_PIDS + """
# Keeps forking session leaders (bounded well below the image's pids limit) until it is killed, or until `minimum` exist when it may end.
minimum, forever = int(sys.argv[1]), sys.argv[2] == "forever"
record()
count = 0
while forever or count < minimum:
    if count < 150:
        try:
            pid = os.fork()
        except OSError:
            time.sleep(0.01)
            continue
        if pid == 0:
            os.setsid()
            record()
            time.sleep(300)
            os._exit(0)
        count += 1
    time.sleep(0.01)
wait_for_pids(minimum + 1)
"""

TAIL_PY = {"exits": "", "waits": "time.sleep(300)"}
TAIL_SH = {"exits": "exit 0", "waits": "sleep 300"}


def python(code: str, *args: str, tail: str) -> list[str]:
    return ["python3", "-c", "import os, signal, sys, time\n" + textwrap.dedent(code) + "\n" + TAIL_PY[tail], *args]


def sh(script: str, tail: str) -> list[str]:
    return ["sh", "-c", script + "; " + TAIL_SH[tail]]


def escape_variants(tail: str):
    """(name, argv, pids recorded before the command may end): processes that try to outlive the command."""
    yield "background child in the same group", sh("sleep 300 & echo $! >> pids; echo $$ >> pids; " + WAIT_FOR_PIDS.format(n=2), tail), 2
    if shutil.which("setsid"):
        yield "setsid child holding the pipes", sh('setsid sh -c "echo \\$\\$ >> pids; exec sleep 300" & echo $$ >> pids; ' + WAIT_FOR_PIDS.format(n=2), tail), 2
        yield "stopped setsid child", sh('setsid sh -c "echo \\$\\$ >> pids; kill -STOP \\$\\$" & echo $$ >> pids; ' + WAIT_FOR_PIDS.format(n=2), tail), 2
    yield "double fork and setsid", python(DOUBLE_FORK, tail=tail), 2
    yield "ignores SIGTERM, SIGHUP and SIGINT", python(IGNORES_SIGNALS, tail=tail), 2
    yield "fork loop of session leaders", python(FORK_LOOP, "20", "forever" if tail == "waits" else "bounded", tail=tail), 21


def is_dead(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rpartition(b")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in (b"Z", b"X")


class CommandCase(unittest.TestCase):
    def setUp(self) -> None:
        self.assertTrue(become_subreaper())
        self.dir = Path(tempfile.mkdtemp()).resolve()
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.cancellation = Cancellation()
        self.addCleanup(self.cancellation.close)

    def tearDown(self) -> None:
        # Whatever a failing test left behind must not leak into the next one.
        kill_descendants()

    def run_command(self, argv: list[str], timeout_s: float = 30, limit: int = 65536, heartbeat=lambda: None, cancellation: Cancellation | None = None) -> tuple[processes.Finished, float]:
        executable = PYTHON if argv[0] == "python3" else os.path.realpath(shutil.which(argv[0]))
        fd = os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY)
        started = time.monotonic()
        try:
            finished = run_to_end(argv, executable, fd, ENV, timeout_s, limit, cancellation or self.cancellation, heartbeat)
        finally:
            os.close(fd)
        return finished, time.monotonic() - started

    def recorded_pids(self) -> list[int]:
        try:
            return [int(line) for line in (self.dir / "pids").read_text().split()]
        except FileNotFoundError:
            return []

    def assert_tree_is_gone(self, at_least: int) -> None:
        pids = self.recorded_pids()
        self.assertGreaterEqual(len(pids), at_least, "the processes under test did not start")
        self.assertEqual([pid for pid in pids if not is_dead(pid)], [])
        self.assertEqual(descendants(), [])


class SubreaperTest(unittest.TestCase):
    def test_this_process_becomes_the_reaper_of_orphans(self) -> None:
        self.assertTrue(become_subreaper())
        self.assertTrue(become_subreaper())
        value = ctypes.c_int(0)
        libc = ctypes.CDLL(None, use_errno=True)
        self.assertEqual(libc.prctl(37, ctypes.byref(value), 0, 0, 0), 0)  # PR_GET_CHILD_SUBREAPER
        self.assertEqual(value.value, 1)

    def test_a_forked_child_becomes_a_subreaper_of_its_own(self) -> None:
        """The attribute is not inherited by fork: the call must not trust a flag cached by its parent."""
        self.assertTrue(become_subreaper())
        pid = os.fork()
        if pid == 0:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                value = ctypes.c_int(0)
                libc.prctl(37, ctypes.byref(value), 0, 0, 0)
                inherited = value.value
                become_subreaper()
                libc.prctl(37, ctypes.byref(value), 0, 0, 0)
                os._exit(10 * inherited + value.value)
            finally:
                os._exit(99)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 1)


class EndingTest(CommandCase):
    """Every way a command ends, against every way its processes try to outlive it."""

    def end_by_timeout(self, argv):
        finished, took = self.run_command(argv, timeout_s=1.0)
        self.assertEqual(finished.status, "timed_out")
        return took

    def end_by_cancel_from_a_thread(self, argv):
        timer = threading.Timer(1.0, self.cancellation.cancel)
        timer.start()
        try:
            finished, took = self.run_command(argv)
        finally:
            timer.cancel()
        self.assertEqual(finished.status, "cancelled")
        return took

    def end_by_cancel_from_a_signal_handler(self, argv):
        previous = signal.signal(signal.SIGALRM, lambda signum, frame: self.cancellation.cancel())
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        try:
            finished, took = self.run_command(argv)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        self.assertEqual(finished.status, "cancelled")
        return took

    def test_timeout_and_cancel_kill_the_whole_tree(self) -> None:
        for ending in (self.end_by_timeout, self.end_by_cancel_from_a_thread, self.end_by_cancel_from_a_signal_handler):
            for name, argv, _ in escape_variants("waits"):
                with self.subTest(ending=ending.__name__, variant=name):
                    self.setUp()
                    took = ending(argv)
                    self.assertLess(took, 6)
                    self.assert_tree_is_gone(at_least=1)

    def test_leftovers_die_when_the_command_exits(self) -> None:
        for name, argv, started in escape_variants("exits"):
            with self.subTest(variant=name):
                self.setUp()
                finished, took = self.run_command(argv)
                self.assertEqual((finished.status, finished.exit_code), ("exited", 0), finished)
                self.assertLess(took, 6)
                self.assert_tree_is_gone(at_least=started)


class KillDescendantsTest(CommandCase):
    def test_nothing_to_kill(self) -> None:
        self.assertTrue(kill_descendants())

    def test_the_spared_child_keeps_its_exit_status_for_popen(self) -> None:
        import subprocess

        process = subprocess.Popen(["sh", "-c", "sleep 300 & sleep 300"], start_new_session=True)
        self.assertTrue(kill_descendants(spare=process.pid))
        self.assertEqual(process.wait(5), -signal.SIGKILL)
        self.assertEqual(descendants(), [])

    def test_orphans_are_inherited_then_killed_and_reaped(self) -> None:
        import subprocess

        process = subprocess.Popen(["sh", "-c", "sh -c 'sleep 300' & sleep 300 & exit 0"])
        process.wait(5)
        deadline = time.monotonic() + 5
        while len(descendants()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        orphans = descendants()
        self.assertIn(os.getpid(), {p.ppid for p in orphans})
        self.assertTrue(kill_descendants())
        self.assertEqual(descendants(), [])
        self.assertTrue(all(is_dead(p.pid) for p in orphans))


class OutputTest(CommandCase):
    """Output is read within the caps, and no process holding a pipe can delay the result past the deadline."""

    def without_pidfd(self):
        return mock.patch.object(os, "pidfd_open", side_effect=OSError(errno.ENOSYS, "not implemented"))

    def both_ways(self):
        """Runs the block with pidfd_open and with the polling fallback."""
        yield "pidfd"
        with self.without_pidfd():
            yield "polling"

    def test_a_grandchild_holding_the_pipes_delays_nothing(self) -> None:
        for way in self.both_ways():
            for name, argv in [
                ("sleeps", ["python3", "-c", "import os, time\nif os.fork() == 0:\n    os.setsid(); time.sleep(300)\nprint('done', flush=True)"]),
                ("keeps writing", ["sh", "-c", "(while :; do echo spam; sleep 0.01; done) & echo done"]),
            ]:
                with self.subTest(way=way, grandchild=name):
                    finished, took = self.run_command(argv, timeout_s=60)
                    self.assertLess(took, 5)
                    self.assertEqual((finished.status, finished.exit_code), ("exited", 0))
                    # The grandchild may write before or after the command's own line: which comes first is the scheduler's choice.
                    self.assertIn(b"done", finished.stdout.splitlines(), finished.stdout[:100])
                    self.assertEqual(descendants(), [])

    def test_deadline_holds_against_a_flood(self) -> None:
        for way in self.both_ways():
            for argv in (["yes"], ["sh", "-c", "yes & yes >&2"]):
                with self.subTest(way=way, argv=argv):
                    finished, took = self.run_command(argv, timeout_s=0.5, limit=1000)
                    self.assertEqual(finished.status, "timed_out")
                    self.assertLess(took, 5)
                    self.assertEqual(len(finished.stdout), 1000)
                    self.assertTrue(finished.truncated)
                    self.assertEqual(descendants(), [])

    def test_each_stream_is_capped_separately(self) -> None:
        argv = ["python3", "-c", "import sys; sys.stdout.write('x' * 5000); sys.stderr.write('y' * 3000)"]
        for limit, truncated in [(100, True), (3000, True), (5000, False)]:
            with self.subTest(limit=limit):
                finished, _ = self.run_command(argv, limit=limit)
                self.assertEqual(finished.stdout, b"x" * min(limit, 5000))
                self.assertEqual(finished.stderr, b"y" * min(limit, 3000))
                self.assertEqual(finished.truncated, truncated)

    def test_output_written_just_before_exit_is_all_read(self) -> None:
        for way in self.both_ways():
            with self.subTest(way=way):
                finished, _ = self.run_command(["python3", "-c", "import os\nfor _ in range(50): os.write(1, b'z' * 4000)\nos.write(2, b'end')"], limit=300000)
                self.assertEqual((len(finished.stdout), finished.stderr, finished.truncated), (200000, b"end", False))

    def test_closing_the_pipes_early_does_not_end_the_command(self) -> None:
        for way in self.both_ways():
            with self.subTest(way=way):
                finished, took = self.run_command(["python3", "-c", "import os, time\nos.close(1); os.close(2)\ntime.sleep(300)"], timeout_s=0.5)
                self.assertEqual(finished.status, "timed_out")
                self.assertLess(took, 5)

    def test_stdin_is_empty_and_exit_codes_are_kept(self) -> None:
        finished, took = self.run_command(["cat"])
        self.assertEqual((finished.status, finished.exit_code, finished.stdout), ("exited", 0, b""))
        self.assertLess(took, 5)
        finished, _ = self.run_command(["sh", "-c", "exit 7"])
        self.assertEqual(finished.exit_code, 7)

    def test_liveness_is_signalled_while_a_command_runs(self) -> None:
        beats = []
        self.run_command(["sleep", "1.5"], heartbeat=lambda: beats.append(time.monotonic()))
        self.assertGreaterEqual(len(beats), 2)


class CancellationTest(unittest.TestCase):
    def test_cancel_is_a_flag_and_a_wakeup(self) -> None:
        cancellation = Cancellation()
        self.addCleanup(cancellation.close)
        self.assertFalse(cancellation.requested)
        for _ in range(100000):  # more than a pipe holds: never blocks
            cancellation.cancel()
        self.assertTrue(cancellation.requested)
        cancellation.clear_wakeups()
        self.assertRaises(BlockingIOError, os.read, cancellation.fileno(), 1)

    def test_a_late_cancel_never_writes_to_a_reused_fd(self) -> None:
        cancellation = Cancellation()
        cancellation.close()
        cancellation.close()
        read_end, write_end = os.pipe2(os.O_NONBLOCK)  # most likely the fd numbers just freed
        try:
            cancellation.cancel()
            self.assertTrue(cancellation.requested)
            self.assertRaises(BlockingIOError, os.read, read_end, 1)
        finally:
            os.close(read_end)
            os.close(write_end)


if __name__ == "__main__":
    unittest.main()
