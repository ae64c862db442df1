"""Runs one command to its end: output captured within caps, a hard deadline, and no process left behind.

A command may start processes that leave its session (`setsid`), double-fork,
ignore SIGTERM or keep forking; they may also keep its stdout open after it
exits. Killing a process group catches none of that. So the runtime makes
itself a child subreaper: everything a command starts stays a descendant of
the runtime even when its parent dies. When the command ends (it exits, its
deadline passes or it is cancelled) every descendant of the runtime is killed
with SIGKILL, found by walking /proc, round after round until none is left.

Output is read in the calling thread with a selector on non-blocking pipes,
so a grandchild holding a pipe open can delay nothing past the deadline.
"""

from __future__ import annotations

import ctypes
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Callable

PR_SET_CHILD_SUBREAPER = 36
_WALL = 0x40000000  # waitid: children whatever their exit signal

READ_CHUNK = 65536
HEARTBEAT_S = 1.0  # how often the runtime's liveness callback runs while a command runs
POLL_S = 0.05  # without pidfd_open, how often the command's exit is polled
DRAIN_S = 0.5  # after the command and its leftovers are dead, how long output may still be read
KILL_PATIENCE_S = 5.0  # how long killing a tree may take (processes in uninterruptible sleep)

_subreaper_pid: int | None = None  # the process that made itself subreaper: the attribute is not inherited by fork


def become_subreaper() -> bool:
    """Makes this process the reaper of orphans from its descendants (prctl PR_SET_CHILD_SUBREAPER); idempotent. False where unsupported."""
    global _subreaper_pid
    if _subreaper_pid != os.getpid():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
                return False
        except (OSError, AttributeError):
            return False
        _subreaper_pid = os.getpid()
    return True


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    state: str  # as in /proc/<pid>/stat: R, S, D, Z, T...


def descendants(of: int | None = None) -> list[Proc]:
    """Every process below `of` (default: this process) in the ppid tree, read from /proc/*/stat."""
    root = os.getpid() if of is None else of
    children: dict[int, list[Proc]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fd = os.open(f"/proc/{name}/stat", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue  # gone meanwhile
        try:
            data = os.read(fd, 1024)
        except OSError:
            continue
        finally:
            os.close(fd)
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        fields = data[data.rfind(b")") + 2 :].split(b" ", 2)
        if len(fields) < 2:
            continue
        proc = Proc(int(name), int(fields[1]), fields[0].decode("ascii", "replace"))
        children.setdefault(proc.ppid, []).append(proc)
    found: list[Proc] = []
    frontier = [root]
    while frontier:
        below = children.get(frontier.pop(), [])
        found.extend(below)
        frontier.extend(p.pid for p in below)
    return found


def _has_children() -> bool:
    """Whether this process has any child, live or zombie, without reaping one (a single syscall)."""
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT | _WALL)
    except ChildProcessError:
        return False
    return True


def kill_descendants(spare: int | None = None, patience_s: float = KILL_PATIENCE_S) -> bool:
    """SIGKILLs every descendant of this process, round after round, until none is left; True when none is.

    Descendants that are this process's own children are reaped once dead,
    except `spare` (a Popen child whose exit status its Popen must collect):
    it is killed but left as a zombie. As a subreaper this process inherits
    every orphan below it, so having no child means having no descendant.
    """
    if spare is None and not _has_children():
        return True
    me = os.getpid()
    deadline = time.monotonic() + patience_s
    pause = 0.001
    while True:
        tree = descendants()
        if all(p.pid == spare and p.state == "Z" for p in tree):
            return True
        for p in tree:
            if p.state != "Z":
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            elif p.ppid == me and p.pid != spare:
                try:
                    os.waitpid(p.pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        if time.monotonic() >= deadline:
            return False
        # SIGKILL takes effect when the process next runs; orphans reparent as their parents die.
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


class Cancellation:
    """A flag that a signal handler may raise: no locks, just an attribute and a byte written to a pipe the selector watches."""

    def __init__(self) -> None:
        self.requested = False
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def fileno(self) -> int:
        return self._read

    def cancel(self) -> None:
        self.requested = True
        fd = self._write
        if fd < 0:
            return  # closed: nothing is running to wake up
        try:
            os.write(fd, b"!")
        except OSError:
            pass  # pipe full: a wake-up is already pending

    def clear_wakeups(self) -> None:
        try:
            while os.read(self._read, 4096):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        # Marked closed before closing, so that a late cancel() never writes to a reused fd number.
        read, write = self._read, self._write
        self._read = self._write = -1
        if write >= 0:
            os.close(read)
            os.close(write)


class _Capture:
    """One output stream: bytes kept up to the cap, the rest read and dropped (so the writer never blocks)."""

    def __init__(self, stream, limit: int):
        self.stream = stream  # kept so the pipe is closed with it
        self.fd = stream.fileno()
        os.set_blocking(self.fd, False)
        self.limit = limit
        self.data = bytearray()
        self.truncated = False
        self.open = True

    def read_once(self) -> None:
        """One read only: a fast writer must not keep the loop from its deadline."""
        try:
            chunk = os.read(self.fd, READ_CHUNK)
        except BlockingIOError:
            return
        if not chunk:
            self.open = False
            return
        room = self.limit - len(self.data)
        if len(chunk) > room:
            self.truncated = True
        if room > 0:
            self.data += chunk[:room]


@dataclass
class Finished:
    status: str  # exited | timed_out | cancelled
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    truncated: bool


def run_to_end(argv: list[str], executable: str, cwd_fd: int, env: dict[str, str], timeout_s: float, max_output_bytes: int, cancellation: Cancellation, heartbeat: Callable[[], None]) -> Finished:
    """Runs the command in the directory `cwd_fd` until it exits, the deadline passes or it is cancelled; then kills everything it started.

    The working directory is handed over as /proc/self/fd/N: the child
    changes into the directory already opened (race-free) before its fds are
    closed, and the command does not inherit that fd.
    """
    become_subreaper()
    process = subprocess.Popen(argv, executable=executable, cwd=f"/proc/self/fd/{cwd_fd}", env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    streams = [_Capture(process.stdout, max_output_bytes), _Capture(process.stderr, max_output_bytes)]
    selector = selectors.DefaultSelector()
    exit_fd: int | None = None
    try:
        for capture in streams:
            selector.register(capture.fd, selectors.EVENT_READ, capture)
        selector.register(cancellation.fileno(), selectors.EVENT_READ, "cancel")
        try:
            exit_fd = os.pidfd_open(process.pid)  # readable when the command exits: no polling
            selector.register(exit_fd, selectors.EVENT_READ, "exit")
        except (AttributeError, OSError):
            exit_fd = None

        status = _supervise(process, selector, exit_fd, timeout_s, cancellation, heartbeat)
        if process.returncode is None:
            kill_descendants(spare=process.pid)
            try:
                process.wait(timeout=KILL_PATIENCE_S)
            except subprocess.TimeoutExpired:
                pass  # unkillable for now (uninterruptible sleep): reported without an exit code
        # What the command left behind (daemons, a grandchild holding a pipe) dies with it.
        kill_descendants(spare=process.pid if process.returncode is None else None)
        selector.unregister(cancellation.fileno())
        if exit_fd is not None:
            selector.unregister(exit_fd)
        _drain(selector, streams)
    except BaseException:
        kill_descendants(spare=process.pid)  # a bug or an interrupt: still never leave a command running
        raise
    finally:
        selector.close()
        if exit_fd is not None:
            os.close(exit_fd)
        for capture in streams:
            capture.stream.close()
    stdout, stderr = streams
    return Finished(status, process.returncode, bytes(stdout.data), bytes(stderr.data), stdout.truncated or stderr.truncated)


def _supervise(process: subprocess.Popen[bytes], selector: selectors.BaseSelector, exit_fd: int | None, timeout_s: float, cancellation: Cancellation, heartbeat: Callable[[], None]) -> str:
    """Reads output until the command exits (exited), its deadline passes (timed_out) or it is cancelled (cancelled)."""
    deadline = time.monotonic() + timeout_s
    next_beat = 0.0
    while True:
        if cancellation.requested:
            return "cancelled"
        now = time.monotonic()
        if now >= deadline:
            return "timed_out"
        if now >= next_beat:
            heartbeat()
            next_beat = now + HEARTBEAT_S
        wait = min(deadline, next_beat) - now
        if exit_fd is None:
            wait = min(wait, POLL_S)
        exited = False
        for key, _ in selector.select(wait):
            if key.data == "cancel":
                cancellation.clear_wakeups()
            elif key.data == "exit":
                exited = True
            else:
                key.data.read_once()
                if not key.data.open:
                    selector.unregister(key.fd)
        if (exited or exit_fd is None) and process.poll() is not None:
            return "exited"


def _drain(selector: selectors.BaseSelector, streams: list[_Capture]) -> None:
    """Reads what is left in the pipes; bounded, in case a process outside the tree holds one open."""
    deadline = time.monotonic() + DRAIN_S
    while any(capture.open for capture in streams):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        for key, _ in selector.select(remaining):
            key.data.read_once()
            if not key.data.open:
                selector.unregister(key.fd)
