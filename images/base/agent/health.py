"""Docker HEALTHCHECK: healthy while the runtime's loop keeps touching its health file."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def touch(path: Path) -> None:
    path.write_text(f"{time.time():.3f}\n", encoding="utf-8")


def check(path: Path, stale_s: float, now: float | None = None) -> tuple[bool, str]:
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return False, f"{path} does not exist: the runtime has not started its loop"
    if age > stale_s:
        return False, f"the runtime loop has not run for {age:.0f}s (limit {stale_s:g}s): it is stuck"
    return True, f"loop ran {age:.1f}s ago"


def main() -> int:
    path = Path(os.environ.get("AGENT_HEALTH_FILE", "/tmp/agent-health"))
    stale = float(os.environ.get("AGENT_HEALTH_STALE_S", "15"))
    healthy, detail = check(path, stale)
    print(detail)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
