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
from agent.contract_schema import validate

RULES = [
    {"id": "files", "effect": "allow", "actions": ["write_file", "read_file", "list_files"]},
    {"id": "echo", "effect": "allow", "actions": ["run_command"], "commands": ["echo *", "sleep *"]},
    {"id": "python", "effect": "allow", "actions": ["run_command"], "commands": ["python3 *"], "arbitrary_code": True},
]


def command(action_id: str, *argv: str, **fields) -> dict:
    return {"id": action_id, "type": "run_command", "argv": list(argv), "timeout_s": 30, "max_output_bytes": 65536, **fields}
TOKEN = "tfa_very-secret-token-123"


class RuntimeFixture(unittest.TestCase):
    """Starts the real runtime as a process against a ContractServer, the credential on its standard input."""

    def setUp(self) -> None:
        self.workspace = Path(tempfile.mkdtemp()).resolve()
        self.health = Path(tempfile.mkdtemp()) / "health"

    def start(self, url: str, credential: str = TOKEN, **env: str) -> subprocess.Popen:
        environment = {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "TASK_ID": "task-1",
            "CONTROL_PLANE_URL": url,
            "AGENT_WORKSPACE": str(self.workspace),
            "AGENT_HEALTH_FILE": str(self.health),
            "AGENT_POLL_INTERVAL_S": "0.05",
            "AGENT_HEARTBEAT_INTERVAL_S": "0.2",
            **env,
        }
        environment = {k: v for k, v in environment.items() if v is not None}
        # The credential arrives on standard input, as `docker run -i ... <<< "$TOKEN"` gives it.
        process = subprocess.Popen([sys.executable, "-m", "agent.agent_runtime"], env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        process.stdin.write(credential + "\n")
        process.stdin.close()
        process.stdin = None
        return process

    def finish(self, process: subprocess.Popen, timeout: float = 30) -> tuple[int, list[dict]]:
        stdout, stderr = process.communicate(timeout=timeout)
        self.assertEqual(stderr, "")
        self.assertNotIn(TOKEN, stdout)
        lines = [json.loads(line) for line in stdout.splitlines()]
        for line in lines:
            validate(line, "log-line")
        return process.returncode, lines



class RuntimeTest(RuntimeFixture):
    def test_runs_a_task_to_completion_executing_only_what_the_policy_allows(self) -> None:
        actions = [
            {"id": "write", "type": "write_file", "path": "notes/hello.txt", "content": "hi\n", "append": False},
            {"id": "echo", "type": "run_command", "argv": ["echo", "hello"], "timeout_s": 10, "max_output_bytes": 1000},
            {"id": "touch", "type": "run_command", "argv": ["touch", "denied.txt"], "timeout_s": 10, "max_output_bytes": 1000},
            {"id": "escape", "type": "write_file", "path": "../escape.txt", "content": "x", "append": False},
        ]
        with ContractServer("task-1", actions, RULES, token=TOKEN) as server:
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
        with ContractServer("task-1", actions, RULES, token=TOKEN) as server:
            server.policy_status = 503
            code, _ = self.finish(self.start(server.url))
        self.assertEqual(code, 0)
        self.assertEqual(server.results[0]["status"], "denied")
        self.assertEqual(server.results[0]["decision"]["reason"], "no valid policy")
        self.assertFalse((self.workspace / "x.txt").exists())

    def test_control_plane_lost_exits_in_bounded_time_after_the_policy_expires(self) -> None:
        server = ContractServer("task-1", [], RULES, token=TOKEN, keep_open=True).__enter__()
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
        with ContractServer("task-1", [], RULES, token=TOKEN) as server:
            code, lines = self.finish(self.start(server.url, CONTROL_PLANE_URL="not a url"))
        self.assertEqual(code, 2)
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0]["event"], "config_invalid")
        self.assertIn("CONTROL_PLANE_URL='not a url'", lines[0]["fields"]["error"])
        self.assertEqual(server.seen_authorization, [])

    def test_sigterm_cancels_the_running_command_reports_it_and_exits(self) -> None:
        actions = [{"id": "long", "type": "run_command", "argv": ["sleep", "60"], "timeout_s": 120, "max_output_bytes": 1000}]
        with ContractServer("task-1", actions, RULES, token=TOKEN) as server:
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

        with ContractServer("task-1", [], RULES, token=TOKEN, keep_open=True) as server:
            process = self.start(server.url)
            time.sleep(1)
            healthy, _ = check(self.health, stale_s=1)
            process.send_signal(signal.SIGTERM)
            self.finish(process)
        self.assertTrue(healthy)
        self.assertFalse(check(self.health, stale_s=1, now=time.time() + 5)[0])


class HostileInputTest(RuntimeFixture):
    def test_actions_that_break_the_contract_are_rejected_and_the_loop_goes_on(self) -> None:
        listing = {"id": "x", "type": "list_files", "path": "."}
        invalid = {
            "argv-not-a-list": command("b1", "echo") | {"argv": "echo hi"},
            "argv-item-not-a-string": command("b2", "echo") | {"argv": ["echo", 1]},
            "argv-empty": command("b3", "echo") | {"argv": []},
            "argv-nul": command("b4", "echo", "a\x00b"),
            "timeout-bool": command("b5", "echo") | {"timeout_s": True},
            "timeout-string": command("b6", "echo") | {"timeout_s": "10"},
            "timeout-negative": command("b7", "echo") | {"timeout_s": -1},
            "timeout-huge": command("b8", "echo") | {"timeout_s": 10**400},
            "output-negative": command("b9", "echo") | {"max_output_bytes": -5},
            "output-float": command("b10", "echo") | {"max_output_bytes": 1.5},
            "output-over-limit": command("b11", "echo") | {"max_output_bytes": 2**40},
            "unknown-field": command("b12", "echo") | {"shell": True},
            "unknown-type": {"id": "b13", "type": "format_disk"},
            "missing-type": {"id": "b14"},
            "path-not-a-string": listing | {"id": "b15", "path": ["."]},
            "path-nul": listing | {"id": "b16", "path": "a\x00b"},
            "path-empty": listing | {"id": "b17", "path": ""},
            "content-not-a-string": {"id": "b18", "type": "write_file", "path": "a", "content": {"x": 1}, "append": False},
            "append-not-bool": {"id": "b19", "type": "write_file", "path": "a", "content": "x", "append": "yes"},
            "max-bytes-zero": {"id": "b20", "type": "read_file", "path": "a", "max_bytes": 0},
            "deep-field": listing | {"id": "b21", "extra": [[[[[[[[[[]]]]]]]]]]},
            "type-not-a-string": {"id": "b22", "type": ["run_command"]},
        }
        unreportable = [{"id": "../../etc", "type": "list_files", "path": "."}, {"id": 7, "type": "list_files", "path": "."}, "not an object", None, ["list"]]
        actions = [command("before", "echo", "before"), *invalid.values(), *unreportable, command("after", "echo", "after")]
        with ContractServer("task-1", actions, RULES, token=TOKEN, check_actions=False) as server:
            code, lines = self.finish(self.start(server.url))
        self.assertEqual(code, 0)
        self.assertEqual(server.problems, [])
        results = {r["action_id"]: r for r in server.results}
        self.assertEqual(results["before"]["stdout"], "before\n")
        self.assertEqual(results["after"]["stdout"], "after\n")
        for name, action in invalid.items():
            with self.subTest(name):
                result = results[action["id"]]
                self.assertEqual(result["status"], "rejected")
                self.assertTrue(result["error"].startswith("invalid action: "), result["error"])
                self.assertNotIn("\n", result["error"])
                self.assertFalse(result["decision"]["allowed"])
        self.assertEqual(len([l for l in lines if l["event"] == "action_rejected"]), len(unreportable))
        self.assertEqual(os.listdir(self.workspace), [])

    def test_a_result_larger_than_the_control_plane_accepts_is_cut_to_fit_never_dropped(self) -> None:
        from agent.contract_schema import LIMITS

        # Control characters are escaped six-fold in JSON: 2 x 4 MiB of them is far above the message limit.
        script = "import sys; sys.stdout.write('\\x01' * (4 << 20)); sys.stderr.write('\\x02' * (4 << 20))"
        actions = [command("big", "python3", "-c", script, max_output_bytes=LIMITS["maxOutputBytes"]), command("next", "echo", "next")]
        with ContractServer("task-1", actions, RULES, token=TOKEN) as server:
            code, _ = self.finish(self.start(server.url, AGENT_MAX_OUTPUT_BYTES=str(LIMITS["maxOutputBytes"])), timeout=120)
        self.assertEqual(code, 0)
        self.assertEqual(server.problems, [])
        big = next(r for r in server.results if r["action_id"] == "big")
        self.assertEqual(big["status"], "succeeded")
        self.assertTrue(big["truncated"])
        self.assertIn("truncated", big["stdout"][-200:] + big["stderr"][-200:])
        self.assertLessEqual(len(json.dumps(big, ensure_ascii=False, separators=(",", ":")).encode()), LIMITS["maxMessageBytes"])
        self.assertEqual([r["action_id"] for r in server.results], ["big", "next"])

    def test_a_credential_with_whitespace_or_control_characters_is_refused_unprinted(self) -> None:
        for credential in ["tfa_abc def-ghijklmnop", "tfa_abcdefghijklmnop\x07", "\x1b]0;tfa_abcdefghijklmnop"]:
            with self.subTest(credential=credential):
                with ContractServer("task-1", [], RULES, token=TOKEN) as server:
                    process = self.start(server.url, credential=credential)
                    stdout, stderr = process.communicate(timeout=30)
                self.assertEqual(process.returncode, 2)
                self.assertEqual(stderr, "")
                self.assertNotIn("abcdefghijklmnop", stdout)
                self.assertNotIn("ghijklmnop", stdout)
                self.assertEqual(len(stdout.splitlines()), 1)
                self.assertEqual(json.loads(stdout)["event"], "config_invalid")
                self.assertEqual(server.seen_authorization, [])

    @unittest.skipIf(os.getuid() == 0, "root reads every process's /proc entries; the image runs this as UID 1001")
    def test_a_command_cannot_read_the_runtime_credential_from_proc(self) -> None:
        probe = """
import os, sys
token = sys.argv[1].encode()
parent = os.getppid()
found = []
for name in ("environ", "cmdline", "mem", "maps", "fd/0", "fd/1", "stat", "status", "task"):
    path = f"/proc/{parent}/{name}"
    try:
        if os.path.isdir(path):
            os.listdir(path)
            data = b""
        else:
            with open(path, "rb", buffering=0) as handle:
                data = handle.read(1 << 20)
    except OSError as error:
        continue
    if token in data:
        found.append(name)
print("found " + " ".join(found) if found else "clean")
"""
        # The probe is given the token to search for by the test, never by the runtime.
        actions = [command("probe", "python3", "-c", probe, TOKEN)]
        with ContractServer("task-1", actions, RULES, token=TOKEN) as server:
            code, _ = self.finish(self.start(server.url))
        self.assertEqual(code, 0)
        self.assertEqual(server.results[0]["stdout"], "clean\n")


if __name__ == "__main__":
    unittest.main()
