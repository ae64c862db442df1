"""Reads and validates the runtime's configuration from the environment.

Every problem is reported as one ConfigError naming the variable, the value and
what is expected, before any network call is made.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlparse

TASK_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
LOG_LEVELS = ("debug", "info", "warning", "error")

# Names whose values are secrets: never logged, never passed to commands.
SECRET_VARIABLES = ("CONTROL_PLANE_TOKEN",)


class ConfigError(ValueError):
    """The environment does not describe a runnable task."""


@dataclass(frozen=True)
class Config:
    task_id: str
    control_plane_url: str
    token: str | None
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

    def secrets(self) -> list[str]:
        return [self.token] if self.token else []


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
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"CONTROL_PLANE_URL={url!r} is not an http(s) URL with a host; e.g. http://control-plane:8000")

    token = env.get("CONTROL_PLANE_TOKEN") or None

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

    return Config(
        task_id=task_id,
        control_plane_url=url.rstrip("/"),
        token=token,
        workspace=workspace,
        log_level=log_level,
        request_timeout_s=_number(env, "AGENT_REQUEST_TIMEOUT_S", 5, 0.1, 120),
        poll_interval_s=_number(env, "AGENT_POLL_INTERVAL_S", 0.5, 0.01, 60),
        heartbeat_interval_s=_number(env, "AGENT_HEARTBEAT_INTERVAL_S", 5, 0.1, 3600),
        policy_refresh_s=refresh,
        policy_max_age_s=max_age,
        max_action_timeout_s=_number(env, "AGENT_MAX_ACTION_TIMEOUT_S", 600, 1, 86400),
        max_output_bytes=int(_number(env, "AGENT_MAX_OUTPUT_BYTES", 65536, 1, 16 * 1024 * 1024)),
        health_file=Path(env.get("AGENT_HEALTH_FILE", "/tmp/agent-health")),
        health_stale_s=_number(env, "AGENT_HEALTH_STALE_S", 15, 1, 3600),
        stop_grace_s=_number(env, "AGENT_STOP_GRACE_S", 5, 0.1, 8),
    )
