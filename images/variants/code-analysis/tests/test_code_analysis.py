"""Code analysis tools on a small repository created here, as the agent user."""

import json
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

ENV = {**os.environ, "GIT_AUTHOR_NAME": "agent", "GIT_AUTHOR_EMAIL": "agent@localhost", "GIT_COMMITTER_NAME": "agent", "GIT_COMMITTER_EMAIL": "agent@localhost", "HOME": tempfile.mkdtemp()}


def run(*argv: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, check=check, timeout=120)


class CodeAnalysisTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.repo = Path(tempfile.mkdtemp())
        (cls.repo / "app.py").write_text("import os\n\n\ndef greet(name):\n    unused = 1\n    return 'hello ' + name\n")
        (cls.repo / "run.sh").write_text("#!/bin/sh\necho $1\n")
        run("git", "init", "-q", "-b", "main", cwd=cls.repo)
        run("git", "add", "-A", cwd=cls.repo)
        run("git", "commit", "-qm", "feat: greet", cwd=cls.repo)

    def test_git_log(self) -> None:
        self.assertEqual(run("git", "log", "--format=%s", cwd=self.repo).stdout.strip(), "feat: greet")

    def test_ripgrep_search(self) -> None:
        self.assertEqual(run("rg", "--no-heading", "-n", "def greet", cwd=self.repo).stdout.strip(), "app.py:4:def greet(name):")

    def test_ctags_index(self) -> None:
        tags = [json.loads(line) for line in run("ctags", "-R", "--output-format=json", "-f", "-", ".", cwd=self.repo).stdout.splitlines()]
        self.assertIn(("greet", "function"), {(t["name"], t.get("kind")) for t in tags})

    def test_linters_report_findings_as_json(self) -> None:
        pylint = json.loads(run("pylint", "--output-format=json", "app.py", cwd=self.repo, check=False).stdout)
        self.assertIn("unused-import", {m["symbol"] for m in pylint})
        self.assertIn("unused-variable", {m["symbol"] for m in pylint})
        shellcheck = json.loads(run("shellcheck", "-f", "json", "run.sh", cwd=self.repo, check=False).stdout)
        self.assertIn(2086, {finding["code"] for finding in shellcheck})

    def test_flake8_and_mypy_run(self) -> None:
        flake8 = run("flake8", "app.py", cwd=self.repo, check=False)
        self.assertIn("F401", flake8.stdout)
        mypy = run("mypy", "--strict", "app.py", cwd=self.repo, check=False)
        self.assertIn("Function is missing a type annotation", mypy.stdout)


if __name__ == "__main__":
    unittest.main()
