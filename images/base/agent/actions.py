"""Executes the actions the policy allowed: commands and file operations inside the workspace.

Two steps, so that what the policy checked is exactly what runs:
`prepare()` validates the action and resolves what it names (the canonical
path or working directory, the real path of the program); the policy is
evaluated on that; `run()` then acts on exactly those names, opening paths
race-free through the Workspace and executing exactly the resolved program.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any, Callable

from .contract_schema import ContractViolation, check_action, schema
from .processes import Cancellation, become_subreaper, run_to_end
from .workspace import PathRefused, Workspace

# What a command may see of the agent's environment: no tokens, no control-plane address.
PASSED_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TZ", "HOME", "PYTHONUNBUFFERED")

# Every python3 a command starts (python3 itself, pytest, a tool's #!/usr/bin/python3) gets the isolation the image's
# ENV gives an operator's python3, whatever the runtime's own environment says: HOME is the task-writable workspace,
# so without these a .pth or usercustomize.py in its user site, or a module beside a script or in the working
# directory, would run inside every Python program of the task.
PYTHON_ISOLATION = {"PYTHONSAFEPATH": "1", "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1"}

# The contract's action alternatives, by type (each with its defaults).
_ACTIONS = {alternative["properties"]["type"]["const"]: alternative for alternative in schema("action")["oneOf"]}


class InvalidAction(PathRefused):
    """The action breaks the contract. A PathRefused, so that one `except PathRefused` around prepare() turns every refusal into a failed result."""


@dataclass(frozen=True)
class Prepared:
    action: dict[str, Any]  # the validated action (contract form, defaults filled)
    path: str | None  # canonical path for file actions; canonical cwd for run_command
    executable: str | None  # run_command: real path of the program argv[0] names, None if not found


@dataclass
class Outcome:
    status: str  # succeeded | failed | timed_out | cancelled
    fields: dict[str, Any]


def validated(action: Any) -> dict[str, Any]:
    """A copy of `action` with the contract's defaults filled in; InvalidAction when it breaks the contract."""
    if not isinstance(action, dict):
        raise InvalidAction("the action is not an object")
    kind = action.get("type")
    alternative = _ACTIONS.get(kind) if isinstance(kind, str) else None
    if alternative is None:
        raise InvalidAction(f"unknown action type {str(kind)[:64]!r}")
    filled = {name: copy.copy(field["default"]) for name, field in alternative["properties"].items() if "default" in field}
    filled.update(action)
    if isinstance(filled.get("argv"), list):
        filled["argv"] = list(filled["argv"])  # the caller's list may change after the check; this copy does not
    try:
        return check_action(filled)
    except ContractViolation as violation:
        raise InvalidAction(f"the action breaks the contract: {violation}") from None


def resolve_program(name: str, search_path: str, cwd: str) -> str | None:
    """The real path of the program `name` names, as execvp would find it; None when there is no such executable regular file.

    A name without '/' is searched through `search_path` (an empty entry is
    the working directory); one with '/' is relative to `cwd`.
    """
    if not name:
        return None
    directories = [""] if "/" in name else search_path.split(":")
    for directory in directories:
        candidate = os.path.join(cwd, directory, name)
        # stat and access follow symlinks, as exec does; only the match pays for realpath.
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.realpath(candidate)
    return None


class ActionRunner:
    def __init__(self, workspace: Workspace, max_output_bytes: int, max_timeout_s: float, env: dict[str, str] | None = None, heartbeat: Callable[[], None] = lambda: None):
        self.workspace = workspace
        self.max_output_bytes = max_output_bytes
        self.max_timeout_s = max_timeout_s
        source = os.environ if env is None else env
        self.command_env = {k: source[k] for k in PASSED_ENVIRONMENT if k in source}
        self.command_env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        self.command_env["HOME"] = str(workspace.root)
        self.command_env.update(PYTHON_ISOLATION)
        self.heartbeat = heartbeat
        self._cancellation = Cancellation()
        # Orphans of a command must reparent to us, so that they can be found and killed.
        become_subreaper()

    def cancel(self) -> None:
        """Stops the current command and refuses further ones (the runtime is stopping). Safe in a signal handler: sets a flag and wakes the command's loop, which kills the whole tree."""
        self._cancellation.cancel()

    def close(self) -> None:
        self._cancellation.close()

    def prepare(self, action: dict[str, Any]) -> Prepared:
        """Validates `action` and resolves what it names; PathRefused (or InvalidAction) when it cannot run."""
        action = validated(action)
        if action["type"] == "run_command":
            cwd = self.workspace.canonical(action.get("cwd", "."))
            directory = str(self.workspace.root) if cwd == "." else f"{self.workspace.root}/{cwd}"
            return Prepared(action, cwd, resolve_program(action["argv"][0], self.command_env["PATH"], directory))
        return Prepared(action, self.workspace.canonical(action["path"]), None)

    def run(self, prepared: Prepared) -> Outcome:
        """Executes a prepared action; every refusal or OS error becomes a failed outcome."""
        kind = prepared.action["type"]
        try:
            if kind == "run_command":
                return self._run_command(prepared)
            if kind == "read_file":
                return self._read_file(prepared)
            if kind == "write_file":
                return self._write_file(prepared)
            if kind == "list_files":
                return self._list_files(prepared)
            return Outcome("failed", {"error": f"unknown action type {kind!r}"})
        except PathRefused as refused:
            return Outcome("failed", {"error": f"refused: {refused}"})
        except OSError as error:
            return Outcome("failed", {"error": f"{type(error).__name__}: {error.strerror or error}"})

    def _run_command(self, prepared: Prepared) -> Outcome:
        action = prepared.action
        if self._cancellation.requested:
            return Outcome("cancelled", {"exit_code": None, "error": "cancelled before it started: the runtime is stopping"})
        if prepared.executable is None:
            return Outcome("failed", {"exit_code": None, "error": f"command not found: {action['argv'][0]}"})
        timeout = min(float(action["timeout_s"]), self.max_timeout_s)
        limit = min(int(action["max_output_bytes"]), self.max_output_bytes)
        cwd_fd = self.workspace.open_directory(prepared.path)
        try:
            finished = run_to_end(action["argv"], prepared.executable, cwd_fd, self.command_env, timeout, limit, self._cancellation, self.heartbeat)
        finally:
            os.close(cwd_fd)
        status = finished.status
        if status == "exited":
            status = "succeeded" if finished.exit_code == 0 else "failed"
        text = lambda data: data.decode("utf-8", "replace")
        return Outcome(status, {"exit_code": finished.exit_code, "stdout": text(finished.stdout), "stderr": text(finished.stderr), "truncated": finished.truncated})

    def _read_file(self, prepared: Prepared) -> Outcome:
        limit = min(int(prepared.action["max_bytes"]), self.max_output_bytes)
        with os.fdopen(self.workspace.open_regular(prepared.path), "rb") as handle:
            data = handle.read(limit + 1)
        return Outcome("succeeded", {"content": data[:limit].decode("utf-8", "replace"), "truncated": len(data) > limit})

    def _write_file(self, prepared: Prepared) -> Outcome:
        data = prepared.action["content"].encode("utf-8")  # the contract check refused lone surrogates
        with os.fdopen(self.workspace.open_for_write(prepared.path, bool(prepared.action["append"])), "wb") as handle:
            handle.write(data)
        return Outcome("succeeded", {})

    def _list_files(self, prepared: Prepared) -> Outcome:
        fd = self.workspace.open_directory(prepared.path)
        try:
            entries = []
            # Listed through the fd, and each entry stat'ed relative to it: nothing is re-resolved by name.
            with os.scandir(fd) as listing:
                for entry in sorted(listing, key=lambda e: e.name):
                    if entry.is_symlink():
                        kind, size = "link", 0
                    elif entry.is_dir(follow_symlinks=False):
                        kind, size = "dir", 0
                    elif entry.is_file(follow_symlinks=False):
                        try:
                            kind, size = "file", entry.stat(follow_symlinks=False).st_size
                        except FileNotFoundError:
                            continue  # removed while being listed
                    else:
                        kind, size = "other", 0
                    entries.append({"name": entry.name, "type": kind, "size": size})
        finally:
            os.close(fd)
        return Outcome("succeeded", {"entries": entries})
