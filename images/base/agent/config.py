"""Reads and validates the runtime's configuration from the environment, and its credential from where only it can read it.

Every problem is reported as one ConfigError naming the variable, the value and
what is expected, before any network call is made. A credential is never part
of a message.
"""

from __future__ import annotations

import os
import re
import select
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlparse

from .contract_schema import LIMITS

TASK_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
LOG_LEVELS = ("debug", "info", "warning", "error")

# A credential in the environment is readable by whoever can inspect the container (docker inspect), and by every
# command through /proc/1/environ whenever PID 1 is not the non-dumpable runtime (docker run --init), so the runtime
# refuses to start with one there.
FORBIDDEN_SECRET_VARIABLES = ("CONTROL_PLANE_TOKEN",)
TOKEN_FILE_VARIABLE = "CONTROL_PLANE_TOKEN_FILE"
# Printable ASCII without spaces: a token with whitespace or control characters would be split, folded or echoed oddly
# by headers and logs, and cannot be redacted reliably.
TOKEN_PATTERN = re.compile(r"^[\x21-\x7e]{16,4096}$")
STDIN_CREDENTIAL_WAIT_S = 10.0


class ConfigError(ValueError):
    """The environment does not describe a runnable task."""


@dataclass(frozen=True)
class Config:
    task_id: str
    control_plane_url: str
    ca_file: Path | None
    workspace: Path
    log_level: str
    request_timeout_s: float
    poll_interval_s: float
    heartbeat_interval_s: float
    policy_refresh_s: float
    policy_max_age_s: float
    max_action_timeout_s: float
    max_output_bytes: int
    health_file: Path
    health_stale_s: float
    stop_grace_s: float



def _number(env: Mapping[str, str], name: str, default: float, minimum: float, maximum: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; set it to a value between {minimum:g} and {maximum:g}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={raw!r} is out of range; set it to a value between {minimum:g} and {maximum:g}")
    return value


def load_config(env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env

    task_id = env.get("TASK_ID", "")
    if not task_id:
        raise ConfigError("TASK_ID is not set; set it to the id of the task this agent runs, e.g. TASK_ID=task-abc123")
    if not TASK_ID_PATTERN.match(task_id):
        raise ConfigError(f"TASK_ID={task_id!r} is not a valid task id; use letters, digits, '.', '_' or '-' (at most 128)")

    url = env.get("CONTROL_PLANE_URL", "")
    if not url:
        raise ConfigError("CONTROL_PLANE_URL is not set; set it to the control plane's base URL, e.g. http://control-plane:8000")
    parsed = urlparse(url)
    if parsed.scheme == "unix":
        # The hardened profile's way: the container has no network at all, and the control plane's socket is mounted in.
        if parsed.netloc or not parsed.path.startswith("/") or parsed.query or parsed.fragment:
            raise ConfigError(f"CONTROL_PLANE_URL={url!r} is not a unix socket URL; e.g. unix:///run/taskforge/control-plane.sock")
    elif parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"CONTROL_PLANE_URL={url!r} is not an http(s) URL with a host or a unix:// socket path; e.g. unix:///run/taskforge/control-plane.sock or http://control-plane:8000")

    for name in FORBIDDEN_SECRET_VARIABLES:
        if env.get(name):
            raise ConfigError(
                f"{name} is set in the environment, where every command the task runs can read it (/proc/1/environ); "
                f"write the task's credential to the runtime's standard input (docker run -i ... <<< \"$TOKEN\") or into a file named by {TOKEN_FILE_VARIABLE}"
            )

    ca_file = None
    if env.get("CONTROL_PLANE_CA_FILE"):
        ca_file = Path(env["CONTROL_PLANE_CA_FILE"])
        if parsed.scheme != "https":
            raise ConfigError(f"CONTROL_PLANE_CA_FILE is set but CONTROL_PLANE_URL={url!r} is not https://; use an https URL or unset it")
        if not ca_file.is_file():
            raise ConfigError(f"CONTROL_PLANE_CA_FILE={str(ca_file)!r} is not a readable file; mount the CA certificate (PEM) that signed the control plane's certificate")

    workspace = Path(env.get("AGENT_WORKSPACE", "/workspace"))
    if not workspace.is_absolute():
        raise ConfigError(f"AGENT_WORKSPACE={str(workspace)!r} is not an absolute path; e.g. /workspace")
    if not workspace.is_dir():
        raise ConfigError(f"AGENT_WORKSPACE={str(workspace)!r} does not exist; create it or point AGENT_WORKSPACE at the task's workspace")

    log_level = env.get("AGENT_LOG_LEVEL", "info").lower()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"AGENT_LOG_LEVEL={log_level!r} is not one of {', '.join(LOG_LEVELS)}")

    max_age = _number(env, "AGENT_POLICY_MAX_AGE_S", 300, 1, 86400)
    refresh = _number(env, "AGENT_POLICY_REFRESH_S", 30, 0.1, 86400)
    if refresh >= max_age:
        raise ConfigError(f"AGENT_POLICY_REFRESH_S={refresh:g} must be below AGENT_POLICY_MAX_AGE_S={max_age:g}, or the policy expires between refreshes")

    # One request may take at most this long from connect to last byte: below the policy's maximum age, so a slow
    # server cannot keep an expired policy looking current.
    request_timeout = _number(env, "AGENT_REQUEST_TIMEOUT_S", 5, 0.1, 120)
    if request_timeout >= max_age:
        raise ConfigError(f"AGENT_REQUEST_TIMEOUT_S={request_timeout:g} must be below AGENT_POLICY_MAX_AGE_S={max_age:g}")

    return Config(
        task_id=task_id,
        control_plane_url=url.rstrip("/"),
        ca_file=ca_file,
        workspace=workspace,
        log_level=log_level,
        request_timeout_s=request_timeout,
        poll_interval_s=_number(env, "AGENT_POLL_INTERVAL_S", 0.5, 0.01, 60),
        heartbeat_interval_s=_number(env, "AGENT_HEARTBEAT_INTERVAL_S", 5, 0.1, 3600),
        policy_refresh_s=refresh,
        policy_max_age_s=max_age,
        max_action_timeout_s=_number(env, "AGENT_MAX_ACTION_TIMEOUT_S", 600, 1, 86400),
        max_output_bytes=int(_number(env, "AGENT_MAX_OUTPUT_BYTES", 65536, 1, LIMITS["maxOutputBytes"])),
        health_file=Path(env.get("AGENT_HEALTH_FILE", "/tmp/agent-health")),
        health_stale_s=_number(env, "AGENT_HEALTH_STALE_S", 15, 1, 3600),
        stop_grace_s=_number(env, "AGENT_STOP_GRACE_S", 5, 0.1, 8),
    )


def check_token(token: str, source: str) -> str:
    """The credential as read, or a ConfigError that names where it came from but never what it is."""
    if not TOKEN_PATTERN.match(token):
        raise ConfigError(
            f"the credential from {source} is not 16-4096 printable ASCII characters without spaces or control characters "
            "(it is not shown); pass the token exactly as the control plane issued it"
        )
    return token


def read_credential(env: Mapping[str, str], stdin_fd: int = 0, wait_s: float = STDIN_CREDENTIAL_WAIT_S) -> str:
    """The task's credential, read once from a file the runtime then removes, or from the first line of standard input.

    Both leave nothing behind that a command could read: the file is gone
    before any action runs, and what arrived on the pipe has been consumed.
    """
    path = env.get(TOKEN_FILE_VARIABLE)
    if path:
        try:
            with open(path, "rb") as handle:
                raw = handle.read(8193)
        except OSError as error:
            raise ConfigError(f"{TOKEN_FILE_VARIABLE}={path!r} cannot be read ({error.strerror}); mount the credential file readable by UID {os.getuid()}") from None
        try:
            os.unlink(path)
        except OSError as error:
            raise ConfigError(
                f"{TOKEN_FILE_VARIABLE}={path!r} cannot be removed after reading ({error.strerror}), so commands could read it; "
                "put it in a directory the runtime may write (a tmpfs), or pass the credential on standard input"
            ) from None
        return check_token(_one_line(raw), TOKEN_FILE_VARIABLE)

    if os.isatty(stdin_fd):
        raise ConfigError("no credential: standard input is a terminal; pipe the task's credential in (docker run -i ... <<< \"$TOKEN\") or set " + TOKEN_FILE_VARIABLE)
    raw = bytearray()
    deadline = time.monotonic() + wait_s
    while b"\n" not in raw and len(raw) <= 8192:
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([stdin_fd], [], [], max(0.0, remaining))
        if not ready:
            raise ConfigError(
                f"no credential on standard input within {wait_s:g}s; start the container with -i and write the task's credential "
                f"followed by a newline (docker run -i ... <<< \"$TOKEN\"), or set {TOKEN_FILE_VARIABLE}"
            )
        chunk = os.read(stdin_fd, 8193 - len(raw))
        if not chunk:
            break
        raw.extend(chunk)
    if not raw.strip():
        raise ConfigError(f"no credential: standard input is empty; write the task's credential to it (docker run -i ... <<< \"$TOKEN\") or set {TOKEN_FILE_VARIABLE}")
    return check_token(_one_line(bytes(raw)), "standard input")


def _one_line(raw: bytes) -> str:
    """The first line; a non-ASCII byte becomes U+FFFD, which check_token then refuses."""
    line = raw.decode("ascii", "replace").partition("\n")[0]
    return line[:-1] if line.endswith("\r") else line
