"""Keeps the runtime's memory and /proc entries out of reach of the commands it runs.

Commands run as the runtime's own UID, so ordinary permissions do not
separate them. A process that is not "dumpable" has its /proc/<pid>/environ,
mem, fd/ and maps owned by root, and refuses ptrace from the same UID without
CAP_SYS_PTRACE (which the hardened profile drops). The flag is reset by
execve, so the commands themselves stay ordinary processes.
"""

from __future__ import annotations

import ctypes
import ctypes.util

PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4


class GuardUnavailable(RuntimeError):
    """The kernel or C library did not let the runtime protect itself; the runtime must not start."""


def _prctl():
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


def make_undumpable() -> None:
    """Marks this process non-dumpable, and checks that it took."""
    try:
        prctl = _prctl()
    except OSError as error:
        raise GuardUnavailable(f"cannot load the C library to call prctl: {error}") from None
    if prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 or prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise GuardUnavailable(f"prctl(PR_SET_DUMPABLE, 0) failed (errno {ctypes.get_errno()})")

