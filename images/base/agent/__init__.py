"""TaskForge agent runtime: runs one task's actions for the control plane, each checked against the task's policy."""

from pathlib import Path


def _image_version() -> str:
    # The image's VERSION file is the one source of the version: the build passes it as IMAGE_VERSION, and the
    # Dockerfile writes it next to this package. A checkout without a build has none.
    try:
        return Path(__file__).with_name("VERSION").read_text(encoding="ascii").strip() or "unknown"
    except (OSError, UnicodeDecodeError):
        return "unknown"


RUNTIME_VERSION = _image_version()
