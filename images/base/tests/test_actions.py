import os
import tempfile
import time
import unittest
from pathlib import Path

from agent.actions import ActionRunner


class ActionRunnerTest(unittest.TestCase):
    def setUp(self) -> None:
        self.root = Path(tempfile.mkdtemp()).resolve()
        self.runner = ActionRunner(self.root, max_output_bytes=1000, max_timeout_s=30, env={"PATH": os.environ["PATH"], "CONTROL_PLANE_TOKEN": "tok"})

    def test_runs_a_command_in_the_workspace_and_captures_its_output(self) -> None:
        outcome = self.runner.run({"id": "a", "type": "run_command", "argv": ["sh", "-c", "pwd; echo err >&2; exit 3"]})
        self.assertEqual(outcome.status, "failed")
        self.assertEqual(outcome.fields["exit_code"], 3)
        self.assertEqual(outcome.fields["stdout"].strip(), str(self.root))
        self.assertEqual(outcome.fields["stderr"].strip(), "err")

    def test_commands_do_not_see_the_token(self) -> None:
        outcome = self.runner.run({"id": "a", "type": "run_command", "argv": ["env"]})
        self.assertNotIn("CONTROL_PLANE_TOKEN", outcome.fields["stdout"])

    def test_output_is_capped(self) -> None:
        outcome = self.runner.run({"id": "a", "type": "run_command", "argv": ["python3", "-c", "print('x' * 5000)"], "max_output_bytes": 100})
        self.assertEqual(len(outcome.fields["stdout"]), 100)
        self.assertTrue(outcome.fields["truncated"])

    def test_timeout_kills_the_whole_process_group(self) -> None:
        started = time.monotonic()
        outcome = self.runner.run({"id": "a", "type": "run_command", "argv": ["sh", "-c", "sleep 30 & sleep 30"], "timeout_s": 0.5})
        self.assertEqual(outcome.status, "timed_out")
        self.assertLess(time.monotonic() - started, 5)

    def test_files_write_read_list_inside_the_workspace(self) -> None:
        self.assertEqual(self.runner.run({"id": "w", "type": "write_file", "path": "out/result.txt", "content": "42\n"}).status, "succeeded")
        self.assertEqual(self.runner.run({"id": "r", "type": "read_file", "path": "out/result.txt"}).fields["content"], "42\n")
        entries = self.runner.run({"id": "l", "type": "list_files", "path": "out"}).fields["entries"]
        self.assertEqual(entries, [{"name": "result.txt", "type": "file", "size": 3}])

    def test_escapes_fail_without_touching_anything_outside(self) -> None:
        outside = Path(tempfile.mkdtemp()).resolve()
        os.symlink(outside, self.root / "out-link")
        for action in [
            {"id": "1", "type": "write_file", "path": "../escape.txt", "content": "x"},
            {"id": "2", "type": "write_file", "path": "out-link/escape.txt", "content": "x"},
            {"id": "3", "type": "read_file", "path": "/etc/passwd"},
            {"id": "4", "type": "run_command", "argv": ["ls"], "cwd": "out-link"},
        ]:
            with self.subTest(action=action["id"]):
                outcome = self.runner.run(action)
                self.assertEqual(outcome.status, "failed")
                self.assertIn("refused", outcome.fields["error"])
        self.assertEqual(list(outside.iterdir()), [])
        self.assertFalse((self.root.parent / "escape.txt").exists())


if __name__ == "__main__":
    unittest.main()
