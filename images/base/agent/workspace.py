"""Confines every path an action names to the task's workspace, without races.

The task's own commands run as the same UID as the runtime, so anything in
the workspace can change at any moment: a directory can become a symlink to
/etc between the check and the use. Hence two steps:

- `canonical()` turns the requested path into the canonical workspace-relative
  path (following the symlinks that stay inside), which is what the policy
  judges and the result reports;
- the `open_*` methods open that canonical path one component at a time from
  a directory fd held on the root, never following a symlink and never
  opening anything but a directory on the way, and never opening a FIFO,
  socket or device at the end. Whatever the task swaps in meanwhile, the fd
  returned is inside the workspace or the call is refused.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# The kernel's own limit on symlinks followed while resolving one path.
MAX_SYMLINKS = 40

# Directories on the way: never through a symlink. O_PATH because a
# component only has to be traversed (the kernel needs search permission,
# not read permission, and so do we).
_TRAVERSE = os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_PATH", os.O_RDONLY)
# The last component: no symlink, no blocking on a FIFO, no controlling tty.
_LEAF = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
# Errors meaning "a component is not the directory it was": a race by the task.
_SWAPPED = (errno.ELOOP, errno.ENOTDIR)

_KINDS = {stat.S_IFLNK: "a symlink", stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}


class PathRefused(ValueError):
    """The path is malformed or leads out of the workspace, or names something that is not a regular file or directory."""


class Workspace:
    def __init__(self, root: Path):
        self.root = Path(os.path.realpath(root))
        self._root_parts = self.root.parts[1:]
        # Held for the runtime's life: every lookup starts here, not from the root's name.
        self._fd: int | None = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    # -- resolving --------------------------------------------------------
    def canonical(self, requested: str) -> str:
        """The canonical workspace-relative path ('.' or 'a/b/c') that `requested` names; PathRefused if it leads out.

        '.', '..' and repeated slashes are resolved; symlinks inside are
        followed (at most MAX_SYMLINKS); components that do not exist yet are
        kept as written, for files about to be created. Every lookup is made
        relative to an open directory fd, so no string is re-resolved.
        """
        if not isinstance(requested, str) or requested == "" or "\x00" in requested:
            raise PathRefused(f"path {requested!r} is empty or malformed")
        if requested.startswith("/"):
            raise PathRefused(f"path {requested!r} is absolute; paths are relative to the workspace")
        root = self._root()
        pending = requested.split("/")[::-1]  # a stack: the next component is at the end
        parts: list[str] = []
        # The directories walked so far (parts[:len(walked)]), by identity; `current` is an fd on the
        # last of them. Fewer walked than parts means a component is missing or not a directory:
        # from there on the path is lexical. Only one fd is held, however deep the path.
        walked: list[tuple[int, int]] = []
        current = root
        links = 0

        def enter(fd: int) -> None:
            nonlocal current
            if current != root:
                os.close(current)
            current = fd

        try:
            while pending:
                name = pending.pop()
                if name in ("", "."):
                    continue
                if name == "..":
                    if not parts:
                        raise PathRefused(f"path {requested!r} leads out of the workspace ('..' above its root)")
                    parts.pop()
                    if len(walked) > len(parts):
                        walked.pop()
                        enter(self._parent_of(current, walked[-1] if walked else None, requested))
                    continue
                if len(walked) < len(parts):
                    parts.append(name)
                    continue
                try:
                    mode = os.stat(name, dir_fd=current, follow_symlinks=False).st_mode
                except FileNotFoundError:
                    parts.append(name)
                    continue
                if stat.S_ISLNK(mode):
                    links += 1
                    if links > MAX_SYMLINKS:
                        raise PathRefused(f"path {requested!r} goes through more than {MAX_SYMLINKS} symlinks")
                    target = os.readlink(name, dir_fd=current)
                    if target.startswith("/"):
                        rest = self._beneath_root(target)
                        if rest is None:
                            raise PathRefused(f"path {requested!r} leads out of the workspace (through a symlink to {target})")
                        enter(root)
                        walked.clear()
                        parts.clear()
                        pending.extend(reversed(rest))
                    else:
                        pending.extend(reversed(target.split("/")))
                    continue
                parts.append(name)
                if stat.S_ISDIR(mode):
                    enter(os.open(name, _TRAVERSE, dir_fd=current))
                    info = os.fstat(current)
                    walked.append((info.st_dev, info.st_ino))
        except OSError as error:
            raise PathRefused(f"path {requested!r} cannot be resolved: {error.strerror or error}") from None
        finally:
            if current != root:
                os.close(current)
        return "/".join(parts) or "."

    def _parent_of(self, fd: int, expected: tuple[int, int] | None, requested: str) -> int:
        """The directory above `fd`: the root fd itself, or '..' opened and checked to be the directory walked through (not moved meanwhile)."""
        if expected is None:
            return self._root()
        parent = os.open("..", _TRAVERSE, dir_fd=fd)
        info = os.fstat(parent)
        if (info.st_dev, info.st_ino) != expected:
            os.close(parent)
            raise PathRefused(f"path {requested!r} changed while it was resolved")
        return parent

    def _beneath_root(self, target: str) -> list[str] | None:
        """The components of absolute `target` below the root (still to be walked), or None when it is not under the root."""
        components = [c for c in target.split("/") if c not in ("", ".")]
        depth = len(self._root_parts)
        if tuple(components[:depth]) != self._root_parts:
            return None
        return components[depth:]

    # -- opening ----------------------------------------------------------
    def open_regular(self, canonical: str) -> int:
        """An O_RDONLY fd on the regular file at `canonical`; anything else there is refused without being opened."""
        parent, name = self._open_parent(canonical, create=False)
        try:
            self._refuse_unless_regular(canonical, os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
            fd = self._open_leaf(canonical, name, os.O_RDONLY, parent)
        finally:
            os.close(parent)
        return self._checked_regular(canonical, fd)

    def open_for_write(self, canonical: str, append: bool) -> int:
        """An O_WRONLY fd on the regular file at `canonical`, created (0o664) with its missing parents; truncated unless `append`.

        Opened without O_TRUNC and with O_NONBLOCK, then checked: a FIFO put
        in its place is neither blocked on nor written to, and nothing but a
        regular file is ever truncated.
        """
        parent, name = self._open_parent(canonical, create=True)
        try:
            try:
                self._refuse_unless_regular(canonical, os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
            except FileNotFoundError:
                pass
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else 0)
            fd = self._open_leaf(canonical, name, flags, parent)
        finally:
            os.close(parent)
        fd = self._checked_regular(canonical, fd)
        if not append:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                os.close(fd)
                raise
        return fd

    def open_directory(self, canonical: str) -> int:
        """An O_RDONLY fd on the directory at `canonical` (for listing it, or as a command's working directory)."""
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        if self._parts(canonical) == []:
            # A fresh open, not a dup: a dup would share the root fd's directory offset.
            return os.open(".", flags, dir_fd=self._root())
        parent, name = self._open_parent(canonical, create=False)
        try:
            return os.open(name, flags, dir_fd=parent)
        except OSError as error:
            if error.errno in _SWAPPED:
                raise PathRefused(f"path {canonical!r} is not a directory (or was replaced by a symlink)") from None
            raise
        finally:
            os.close(parent)

    # -- helpers ----------------------------------------------------------
    def _root(self) -> int:
        if self._fd is None:
            raise PathRefused("the workspace is closed")
        return self._fd

    @staticmethod
    def _parts(canonical: str) -> list[str]:
        """The components of a canonical path; anything not in canonical form is refused (the open_* never resolve)."""
        if not isinstance(canonical, str) or "\x00" in canonical:
            raise PathRefused(f"path {canonical!r} is malformed")
        if canonical == ".":
            return []
        parts = canonical.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise PathRefused(f"path {canonical!r} is not canonical (call canonical() first)")
        return parts

    def _open_parent(self, canonical: str, create: bool) -> tuple[int, str]:
        """An fd on the directory holding the last component (walked from the root fd, symlinks refused), and that component's name."""
        parts = self._parts(canonical)
        if not parts:
            raise PathRefused("path '.' is the workspace directory, not a file")
        fd = os.open(".", _TRAVERSE, dir_fd=self._root())
        try:
            for name in parts[:-1]:
                if create:
                    try:
                        # The setgid bit is inherited from /workspace (2775), so group 0 keeps access.
                        os.mkdir(name, 0o2775, dir_fd=fd)
                    except FileExistsError:
                        pass
                try:
                    next_fd = os.open(name, _TRAVERSE, dir_fd=fd)
                except OSError as error:
                    if error.errno in _SWAPPED:
                        raise PathRefused(f"path {canonical!r}: {name!r} is not a directory (or was replaced by a symlink)") from None
                    raise
                os.close(fd)
                fd = next_fd
        except BaseException:
            os.close(fd)
            raise
        return fd, parts[-1]

    @staticmethod
    def _open_leaf(canonical: str, name: str, flags: int, parent: int) -> int:
        try:
            return os.open(name, flags | _LEAF, 0o664, dir_fd=parent)
        except OSError as error:
            # ELOOP: a symlink swapped in; ENXIO: a FIFO without reader (or a device); EISDIR: a directory.
            if error.errno in (errno.ELOOP, errno.ENXIO, errno.EISDIR, errno.ENOTDIR):
                raise PathRefused(f"path {canonical!r} is not a regular file (it changed while it was opened)") from None
            raise

    @staticmethod
    def _refuse_unless_regular(canonical: str, mode: int) -> None:
        if not stat.S_ISREG(mode):
            raise PathRefused(f"path {canonical!r} is {_KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, not a regular file")

    @classmethod
    def _checked_regular(cls, canonical: str, fd: int) -> int:
        """`fd` if it is a regular file (then made blocking again); otherwise it is closed and refused."""
        try:
            cls._refuse_unless_regular(canonical, os.fstat(fd).st_mode)
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd
