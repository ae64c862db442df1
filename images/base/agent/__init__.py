"""TaskForge agent runtime: runs one task's actions for the control plane, each checked against the task's policy."""

RUNTIME_VERSION = "1.0.0"
