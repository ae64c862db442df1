"""Structured logs: one JSON object per line on stdout, secrets redacted."""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from typing import Any, TextIO

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
REDACTED = "[REDACTED]"


class JsonLogger:
    def __init__(self, task_id: str | None, level: str = "info", secrets: list[str] | None = None, stream: TextIO | None = None):
        self.task_id = task_id
        self.threshold = LEVELS[level]
        self._secrets = [s for s in (secrets or []) if s]
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()

    def _redact(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            return {str(k): self._redact(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._redact(v) for v in value]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self._redact(str(value))

    def log(self, level: str, event: str, **fields: Any) -> None:
        if LEVELS[level] < self.threshold:
            return
        line = {
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": level,
            "task_id": self.task_id,
            "event": event,
            "fields": self._redact(fields),
        }
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()

    def debug(self, event: str, **fields: Any) -> None:
        self.log("debug", event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        self.log("info", event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        self.log("warning", event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        self.log("error", event, **fields)
