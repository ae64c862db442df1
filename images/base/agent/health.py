"""Docker HEALTHCHECK: healthy while the runtime's loop keeps touching its health file.

The file lives in /tmp, which the task's commands can write too (same UID):
they can fake or spoil the health signal, never stall the runtime. The file is
written without following a symlink and without blocking on a FIFO put in its
place, and the check only stats it.
"""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

from .credential_guard import GuardUnavailable, make_undumpable


def touch(path: Path) -> None:
    """Refreshes the file's mtime; something other than a regular file in its place is removed and replaced once."""
    for attempt in (1, 2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
        except OSError:
            if attempt == 2:
                raise
            _remove(path)
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                if attempt == 2:
                    raise OSError(f"{path} is not a regular file")
                _remove(path)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{time.time():.3f}\n".encode())
            return
        finally:
            os.close(fd)


def _remove(path: Path) -> None:
    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            os.rmdir(path)
        else:
            os.unlink(path)
    except OSError:
        pass


def check(path: Path, stale_s: float, now: float | None = None) -> tuple[bool, str]:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False, f"{path} does not exist: the runtime has not started its loop"
    if not stat.S_ISREG(info.st_mode):
        return False, f"{path} is not a regular file: something other than the runtime replaced it"
    age = (time.time() if now is None else now) - info.st_mtime
    if age > stale_s:
        return False, f"the runtime loop has not run for {age:.0f}s (limit {stale_s:g}s): it is stuck"
    return True, f"loop ran {age:.1f}s ago"


def main() -> int:
    # Like the runtime: a command of the same UID must not reach this process's standard output (what Docker records as
    # the health check's answer) through /proc/<pid>/fd.
    try:
        make_undumpable()
    except GuardUnavailable:
        pass  # the check itself still answers; only its output is less protected
    path = Path(os.environ.get("AGENT_HEALTH_FILE", "/tmp/agent-health"))
    stale = float(os.environ.get("AGENT_HEALTH_STALE_S", "15"))
    healthy, detail = check(path, stale)
    print(detail)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
