"""HTTP client for the control plane's task API (standard library only)."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from typing import Any, Callable
from urllib.parse import quote


class ControlPlaneError(Exception):
    """The control plane could not give a usable answer."""


class ControlPlaneUnavailable(ControlPlaneError):
    """Not reachable, timed out, or a 5xx: worth retrying."""


class ControlPlaneRejected(ControlPlaneError):
    """A 4xx: the request itself is wrong; retrying will not help."""


class MalformedResponse(ControlPlaneError):
    """An answer that is not the JSON object the contract promises."""


class ControlPlaneClient:
    def __init__(self, base_url: str, task_id: str, token: str | None, timeout_s: float):
        self.base_url = base_url
        self.task_path = f"/v1/tasks/{quote(task_id, safe='')}"
        self.token = token
        self.timeout_s = timeout_s

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base_url + self.task_path + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                raise ControlPlaneUnavailable(f"{method} {path}: HTTP {error.code}") from None
            raise ControlPlaneRejected(f"{method} {path}: HTTP {error.code} {error.read()[:200].decode('utf-8', 'replace')}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            reason = getattr(error, "reason", error)
            raise ControlPlaneUnavailable(f"{method} {path}: {reason}") from None
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            raise MalformedResponse(f"{method} {path}: answer is not JSON") from None
        if not isinstance(parsed, dict):
            raise MalformedResponse(f"{method} {path}: answer is not a JSON object")
        return parsed

    def register(self, agent: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/register", {"agent": agent})

    def policy(self) -> dict[str, Any]:
        return self.request("GET", "/policy")

    def next_action(self) -> dict[str, Any]:
        return self.request("GET", "/actions/next")

    def report(self, result: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/actions/{quote(result['action_id'], safe='')}/result", result)

    def heartbeat(self, beat: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/heartbeat", beat)


def backoff_delays(base_s: float, cap_s: float, rng: Callable[[], float] = random.random):
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**n)]."""
    attempt = 0
    while True:
        yield rng() * min(cap_s, base_s * (2**attempt))
        attempt += 1


def with_retries(call: Callable[[], Any], attempts: int, base_s: float, cap_s: float, should_stop: Callable[[], bool] = lambda: False, sleep: Callable[[float], None] = time.sleep):
    """Calls `call`, retrying ControlPlaneUnavailable and MalformedResponse with jittered backoff; re-raises the last error."""
    delays = backoff_delays(base_s, cap_s)
    for attempt in range(attempts):
        try:
            return call()
        except (ControlPlaneUnavailable, MalformedResponse):
            if attempt == attempts - 1 or should_stop():
                raise
            sleep(next(delays))
    raise AssertionError("unreachable")
