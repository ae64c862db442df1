"""Which executables of the image can run another program, decided from the image's own files.

A deny rule only binds while no allowed program can run the denied one for
the task: `setarch` runs what it is given, and util-linux installs it as
`x86_64`, `i386` and `uname26` too; `sdiff --diff-program`, `ldd` and pagers
run programs as well. A list of such names cannot keep up with every image,
so the runtime decides the other way round and fails closed: an executable is
*plain* (runs no other program, whatever its arguments) only when it is one of
the files this image lists as plain, identified by the file itself (device and
inode), so every symlink and hard link to it, under any name, is the same
program; everything else may run programs. A file the task can write (in the
workspace, in /tmp, a copy anywhere) is never plain.

The lists are `plain-programs.txt` beside this module (the base image's
programs, reviewed one by one) and `/opt/openclaw/plain-programs.d/*.txt` for
images built FROM the base: one absolute path per line, `#` comments. A listed
path must be a regular ELF file owned by root and writable by no one else;
anything else listed is ignored, so a mistake there narrows, never widens.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

BASE_LIST = Path(__file__).with_name("plain-programs.txt")
VARIANT_LISTS = Path("/opt/openclaw/plain-programs.d")


def listed_paths(base: Path = BASE_LIST, variants: Path = VARIANT_LISTS) -> list[str]:
    """Every path the image lists as plain, in file order."""
    files = [base] + (sorted(variants.glob("*.txt")) if variants.is_dir() else [])
    paths: list[str] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            entry = line.split("#", 1)[0].strip()
            if entry.startswith("/"):
                paths.append(entry)
    return paths


def _identity(info: os.stat_result) -> tuple[int, int]:
    return (info.st_dev, info.st_ino)


def _trustworthy(path: str, info: os.stat_result) -> bool:
    """A regular ELF file owned by root and writable by no one else (the agent is in group 0): what the image shipped."""
    if not stat.S_ISREG(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        return False
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


class ProgramClasses:
    """The plain programs of this image, by file identity; everything else may run programs."""

    def __init__(self, paths: list[str] | None = None):
        self._plain: dict[tuple[int, int], str] = {}
        for path in listed_paths() if paths is None else paths:
            try:
                info = os.stat(path)  # follows links: the list may name /bin/cat, which is /usr/bin/cat
            except OSError:
                continue
            if _trustworthy(path, info):
                self._plain.setdefault(_identity(info), os.path.realpath(path))

    def __len__(self) -> int:
        return len(self._plain)

    def is_plain(self, executable: str | None) -> bool:
        """Whether `executable` (the file a command's argv[0] resolved to) is a plain program of this image."""
        if executable is None:
            return False
        try:
            info = os.stat(executable)
        except OSError:
            return False
        return _identity(info) in self._plain and _trustworthy(executable, info)
