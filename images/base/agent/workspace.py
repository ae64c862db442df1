"""Confines every path an action names to the task's workspace."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath


class PathRefused(ValueError):
    """The path leads out of the workspace (absolute, '..', or through a symlink)."""


def confine(workspace: Path, requested: str) -> Path:
    """The real path inside `workspace` that `requested` names; refuses anything that leads out.

    Absolute paths and '..' components are refused outright. The path is then
    resolved with symlinks followed, so a link that points out of the
    workspace is refused too; a path that does not exist yet is judged by its
    deepest existing parent.
    """
    if not isinstance(requested, str) or requested == "" or "\x00" in requested:
        raise PathRefused(f"path {requested!r} is empty or malformed")
    pure = PurePosixPath(requested)
    if pure.is_absolute():
        raise PathRefused(f"path {requested!r} is absolute; paths are relative to the workspace")
    if ".." in pure.parts:
        raise PathRefused(f"path {requested!r} contains '..'")
    root = workspace.resolve(strict=True)
    candidate = root.joinpath(*pure.parts) if pure.parts else root
    resolved = candidate.resolve(strict=False)
    if resolved != root and root not in resolved.parents:
        raise PathRefused(f"path {requested!r} leads out of the workspace (to {resolved})")
    return resolved


def relative_display(workspace: Path, path: Path) -> str:
    root = workspace.resolve()
    return "." if path == root else str(path.relative_to(root))


def open_for_write(path: Path, append: bool) -> int:
    """Opens without following a symlink at the last component, so a link swapped in after `confine` is not written through."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_APPEND if append else os.O_TRUNC)
    return os.open(path, flags, 0o664)
