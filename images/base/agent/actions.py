"""Executes the actions the policy allowed: commands and file operations inside the workspace."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .workspace import PathRefused, confine, open_for_write, relative_display

# What a command may see of the agent's environment: no tokens, no control-plane address.
PASSED_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "TZ", "HOME", "PYTHONUNBUFFERED")


@dataclass
class Outcome:
    status: str  # succeeded | failed | timed_out | cancelled
    fields: dict[str, Any]


class ActionRunner:
    def __init__(self, workspace: Path, max_output_bytes: int, max_timeout_s: float, env: dict[str, str] | None = None, heartbeat: Callable[[], None] = lambda: None):
        self.workspace = workspace
        self.max_output_bytes = max_output_bytes
        self.max_timeout_s = max_timeout_s
        source = os.environ if env is None else env
        self.command_env = {k: source[k] for k in PASSED_ENVIRONMENT if k in source}
        self.command_env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        self.command_env["HOME"] = str(workspace)
        self.heartbeat = heartbeat
        self._cancel = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None

    def cancel(self) -> None:
        """Stops the current action (from the signal handler): the command's whole process group is killed."""
        self._cancel.set()
        process = self._process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def run(self, action: dict[str, Any]) -> Outcome:
        kind = action.get("type")
        try:
            if kind == "run_command":
                return self._run_command(action)
            if kind == "read_file":
                return self._read_file(action)
            if kind == "write_file":
                return self._write_file(action)
            if kind == "list_files":
                return self._list_files(action)
            return Outcome("failed", {"error": f"unknown action type {kind!r}"})
        except PathRefused as refused:
            return Outcome("failed", {"error": f"refused: {refused}"})
        except OSError as error:
            return Outcome("failed", {"error": f"{type(error).__name__}: {error.strerror or error}"})

    def _capture(self, stream, sink: bytearray, truncated: list[bool]) -> None:
        while True:
            chunk = stream.read(65536)
            if not chunk:
                return
            room = self.max_output_bytes - len(sink)
            if room > 0:
                sink.extend(chunk[:room])
            if len(chunk) > max(room, 0):
                truncated[0] = True

    def _run_command(self, action: dict[str, Any]) -> Outcome:
        argv = action.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            return Outcome("failed", {"error": "argv must be a non-empty list of strings"})
        cwd = confine(self.workspace, action.get("cwd") or ".")
        timeout = min(float(action.get("timeout_s", 60)), self.max_timeout_s)
        limit = min(int(action.get("max_output_bytes", self.max_output_bytes)), self.max_output_bytes)
        stdout, stderr, truncated = bytearray(), bytearray(), [False]
        try:
            process = subprocess.Popen(argv, cwd=cwd, env=self.command_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except FileNotFoundError:
            return Outcome("failed", {"exit_code": None, "error": f"command not found: {argv[0]}"})
        self._process = process
        readers = [threading.Thread(target=self._capture, args=(process.stdout, stdout, truncated), daemon=True), threading.Thread(target=self._capture, args=(process.stderr, stderr, truncated), daemon=True)]
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + timeout
        status = "succeeded"
        while process.poll() is None:
            self.heartbeat()
            if self._cancel.is_set():
                status = "cancelled"
                break
            if time.monotonic() >= deadline:
                status = "timed_out"
                break
            try:
                process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        for reader in readers:
            reader.join(timeout=2)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        self._process = None
        if self._cancel.is_set():
            # The signal handler may have killed the group before this loop looked at the flag.
            status = "cancelled"
        elif status == "succeeded" and process.returncode != 0:
            status = "failed"
        text = lambda data: bytes(data[:limit]).decode("utf-8", "replace")
        return Outcome(status, {"exit_code": process.returncode, "stdout": text(stdout), "stderr": text(stderr), "truncated": truncated[0] or len(stdout) > limit or len(stderr) > limit})

    def _read_file(self, action: dict[str, Any]) -> Outcome:
        path = confine(self.workspace, action.get("path", ""))
        limit = min(int(action.get("max_bytes", self.max_output_bytes)), self.max_output_bytes)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1)
        return Outcome("succeeded", {"content": data[:limit].decode("utf-8", "replace"), "truncated": len(data) > limit})

    def _write_file(self, action: dict[str, Any]) -> Outcome:
        path = confine(self.workspace, action.get("path", ""))
        content = action.get("content")
        if not isinstance(content, str):
            return Outcome("failed", {"error": "content must be a string"})
        path.parent.mkdir(parents=True, exist_ok=True)
        confine(self.workspace, relative_display(self.workspace, path.parent))
        with os.fdopen(open_for_write(path, bool(action.get("append"))), "w", encoding="utf-8") as handle:
            handle.write(content)
        return Outcome("succeeded", {})

    def _list_files(self, action: dict[str, Any]) -> Outcome:
        path = confine(self.workspace, action.get("path", "."))
        entries = []
        with os.scandir(path) as listing:
            for entry in sorted(listing, key=lambda e: e.name):
                if entry.is_symlink():
                    kind, size = "link", 0
                elif entry.is_dir():
                    kind, size = "dir", 0
                elif entry.is_file():
                    kind, size = "file", entry.stat().st_size
                else:
                    kind, size = "other", 0
                entries.append({"name": entry.name, "type": kind, "size": size})
        return Outcome("succeeded", {"entries": entries})
