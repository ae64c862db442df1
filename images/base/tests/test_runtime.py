import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from contract_server import ContractServer
from jsonschema_subset import validate

RULES = [
    {"id": "files", "effect": "allow", "actions": ["write_file", "read_file", "list_files"]},
    {"id": "echo", "effect": "allow", "actions": ["run_command"], "commands": ["echo *", "sleep *"]},
]
TOKEN = "tok-very-secret-123"


class RuntimeTest(unittest.TestCase):
    def setUp(self) -> None:
        self.workspace = Path(tempfile.mkdtemp()).resolve()
        self.health = Path(tempfile.mkdtemp()) / "health"

    def start(self, url: str, **env: str) -> subprocess.Popen:
        environment = {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "TASK_ID": "task-1",
            "CONTROL_PLANE_URL": url,
            "CONTROL_PLANE_TOKEN": TOKEN,
            "AGENT_WORKSPACE": str(self.workspace),
            "AGENT_HEALTH_FILE": str(self.health),
            "AGENT_POLL_INTERVAL_S": "0.05",
            "AGENT_HEARTBEAT_INTERVAL_S": "0.2",
            **env,
        }
        return subprocess.Popen([sys.executable, "-m", "agent.agent_runtime"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, process: subprocess.Popen, timeout: float = 30) -> tuple[int, list[dict]]:
        stdout, stderr = process.communicate(timeout=timeout)
        self.assertEqual(stderr, "")
        self.assertNotIn(TOKEN, stdout)
        lines = [json.loads(line) for line in stdout.splitlines()]
        for line in lines:
            validate(line, "log-line")
        return process.returncode, lines

    def test_runs_a_task_to_completion_executing_only_what_the_policy_allows(self) -> None:
        actions = [
            {"id": "write", "type": "write_file", "path": "notes/hello.txt", "content": "hi\n", "append": False},
            {"id": "echo", "type": "run_command", "argv": ["echo", "hello"], "timeout_s": 10, "max_output_bytes": 1000},
            {"id": "touch", "type": "run_command", "argv": ["touch", "denied.txt"], "timeout_s": 10, "max_output_bytes": 1000},
            {"id": "escape", "type": "write_file", "path": "../escape.txt", "content": "x", "append": False},
        ]
        with ContractServer("task-1", actions, RULES) as server:
            code, lines = self.finish(self.start(server.url))
        self.assertEqual(code, 0)
        self.assertEqual(server.problems, [])
        results = {r["action_id"]: r for r in server.results}
        self.assertEqual(results["write"]["status"], "succeeded")
        self.assertEqual((results["echo"]["status"], results["echo"]["stdout"]), ("succeeded", "hello\n"))
        self.assertEqual((results["touch"]["status"], results["touch"]["decision"]["allowed"]), ("denied", False))
        self.assertFalse((self.workspace / "denied.txt").exists())
        self.assertEqual(results["escape"]["status"], "failed")
        self.assertIn("refused", results["escape"]["error"])
        self.assertEqual((self.workspace / "notes" / "hello.txt").read_text(), "hi\n")
        self.assertTrue(all(auth == f"Bearer {TOKEN}" for auth in server.seen_authorization))
        self.assertEqual(lines[-1]["event"], "task_done")
        self.assertEqual(len([l for l in lines if l["event"] == "audit"]), 4)

    def test_without_a_policy_nothing_is_executed(self) -> None:
        actions = [{"id": "write", "type": "write_file", "path": "x.txt", "content": "x", "append": False}]
        with ContractServer("task-1", actions, RULES) as server:
            server.policy_status = 503
            code, _ = self.finish(self.start(server.url))
        self.assertEqual(code, 0)
        self.assertEqual(server.results[0]["status"], "denied")
        self.assertEqual(server.results[0]["decision"]["reason"], "no valid policy")
        self.assertFalse((self.workspace / "x.txt").exists())

    def test_control_plane_lost_exits_in_bounded_time_after_the_policy_expires(self) -> None:
        server = ContractServer("task-1", [], RULES, keep_open=True).__enter__()
        process = self.start(server.url, AGENT_POLICY_MAX_AGE_S="2", AGENT_POLICY_REFRESH_S="0.5", AGENT_REQUEST_TIMEOUT_S="0.5")
        time.sleep(1)
        server.stop()
        stopped = time.monotonic()
        code, lines = self.finish(process)
        self.assertEqual(code, 3)
        self.assertLess(time.monotonic() - stopped, 8)
        self.assertEqual(lines[-1]["event"], "control_plane_lost")
        self.assertIn("no valid policy", lines[-1]["fields"]["detail"])

    def test_missing_config_is_one_line_and_exit_2_before_any_request(self) -> None:
        with ContractServer("task-1", [], RULES) as server:
            code, lines = self.finish(self.start(server.url, CONTROL_PLANE_URL="not a url"))
        self.assertEqual(code, 2)
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["event"], "config_invalid")
        self.assertIn("CONTROL_PLANE_URL='not a url'", lines[0]["fields"]["error"])
        self.assertEqual(server.seen_authorization, [])

    def test_sigterm_cancels_the_running_command_reports_it_and_exits(self) -> None:
        actions = [{"id": "long", "type": "run_command", "argv": ["sleep", "60"], "timeout_s": 120, "max_output_bytes": 1000}]
        with ContractServer("task-1", actions, RULES) as server:
            process = self.start(server.url)
            deadline = time.monotonic() + 10
            while not any(b.get("current_action") == "long" for b in server.heartbeats) and time.monotonic() < deadline:
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            code, lines = self.finish(process)
            self.assertLess(time.monotonic() - sent, 10)
        self.assertEqual(code, 143)
        self.assertEqual(server.results[0]["status"], "cancelled")
        self.assertEqual(lines[-1]["event"], "stopped")

    def test_health_file_is_kept_fresh_by_the_loop(self) -> None:
        from agent.health import check

        with ContractServer("task-1", [], RULES, keep_open=True) as server:
            process = self.start(server.url)
            time.sleep(1)
            healthy, _ = check(self.health, stale_s=1)
            process.send_signal(signal.SIGTERM)
            self.finish(process)
        self.assertTrue(healthy)
        self.assertFalse(check(self.health, stale_s=1, now=time.time() + 5)[0])


if __name__ == "__main__":
    unittest.main()
