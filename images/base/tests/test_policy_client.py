import io
import json
import os
import shutil
import tempfile
import unittest
from pathlib import Path

from agent.actions import ActionRunner, resolve_program
from agent.program_classes import ProgramClasses
from agent.contract_schema import validate
from agent.control_plane import ControlPlaneUnavailable, MalformedResponse
from agent.logs import JsonLogger
from agent.policy_client import PolicyClient
from agent.workspace import Workspace

SEARCH_PATH = "/usr/local/bin:/usr/bin:/bin"
DEFAULTS = {
    "run_command": {"timeout_s": 60, "max_output_bytes": 65536},
    "read_file": {"max_bytes": 65536},
    "write_file": {"content": "", "append": False},
    "list_files": {"path": "."},
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


RULES = [
    {"id": "files", "effect": "allow", "actions": ["read_file", "write_file", "list_files"]},
    {"id": "no-secrets", "effect": "deny", "actions": ["*"], "paths": ["secrets/*"]},
    {"id": "echo", "effect": "allow", "actions": ["run_command"], "commands": ["echo *"]},
    {"id": "no-touch", "effect": "deny", "actions": ["run_command"], "commands": ["touch *"]},
]


def policy(rules=RULES, revision="r1", task_id="task-1", serial=1):
    return {"task_id": task_id, "revision": revision, "serial": serial, "issued_at": "2026-01-01T00:00:00Z", "rules": rules}


class PolicyFixture(unittest.TestCase):
    """A real workspace (with a secrets/ directory and a link to it) and a policy client fed from a list of answers."""

    def setUp(self) -> None:
        self.answers: list = []
        self.log = io.StringIO()
        self.clock = Clock()
        self.root = Path(tempfile.mkdtemp()).resolve()
        self.addCleanup(shutil.rmtree, self.root, True)
        (self.root / "secrets").mkdir()
        (self.root / "secrets" / "key").write_text("k")
        (self.root / "a").mkdir()
        os.symlink("secrets", self.root / "link")
        self.workspace = Workspace(self.root)
        self.addCleanup(self.workspace.close)
        self.runner = ActionRunner(self.workspace, max_output_bytes=1000, max_timeout_s=10, env={"PATH": SEARCH_PATH})
        resolve = lambda program: resolve_program(program, SEARCH_PATH, str(self.root))
        self.client = PolicyClient(self.fetch, "task-1", refresh_s=10, max_age_s=60, logger=JsonLogger("task-1", stream=self.log), clock=self.clock, resolve=resolve)

    def fetch(self):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def decide(self, **action):
        """Decides on an action the way the runtime does: made canonical and resolved first, then evaluated."""
        full = {"id": "a1", **DEFAULTS[action["type"]], **action}
        return self.client.evaluate(self.runner.prepare(full))



class PolicyClientTest(PolicyFixture):
    def test_the_policy_the_tests_use_is_a_contract_policy(self) -> None:
        validate(policy(), "policy")

    def test_without_any_policy_everything_is_denied(self) -> None:
        decision = self.decide(type="read_file", path="x")
        self.assertFalse(decision.allowed)
        self.assertEqual(decision.reason, "no valid policy")

    def test_rules_allow_deny_wins_and_default_is_deny(self) -> None:
        self.answers = [policy()]
        self.assertTrue(self.client.refresh())
        self.assertEqual(self.decide(type="read_file", path="notes.txt").matched_rule, "files")
        self.assertFalse(self.decide(type="read_file", path="secrets/key").allowed)
        self.assertEqual(self.decide(type="read_file", path="secrets/key").matched_rule, "no-secrets")
        self.assertTrue(self.decide(type="run_command", argv=["echo", "hello world"]).allowed)
        denied = self.decide(type="run_command", argv=["touch", "x"])
        self.assertEqual((denied.allowed, denied.matched_rule), (False, "no-touch"))
        default = self.decide(type="run_command", argv=["rm", "-rf", "."])
        self.assertEqual((default.allowed, default.matched_rule, default.policy_revision), (False, None, "r1"))

    def test_keeps_the_last_verified_policy_until_its_maximum_age(self) -> None:
        self.answers = [policy(), ControlPlaneUnavailable("down"), MalformedResponse("garbage"), {"not": "a policy"}]
        self.client.refresh()
        for _ in range(3):
            self.clock.now += 15
            self.assertFalse(self.client.refresh())
            self.assertTrue(self.decide(type="list_files", path=".").allowed)
        self.clock.now += 16  # 61 s after the last verified policy
        decision = self.decide(type="list_files", path=".")
        self.assertFalse(decision.allowed)
        self.assertEqual(decision.reason, "policy expired and not renewed")
        events = [json.loads(line)["event"] for line in self.log.getvalue().splitlines()]
        self.assertIn("policy_unavailable", events)
        self.assertIn("policy_invalid", events)
        self.assertIn("policy_expired", events)

    def test_refuses_a_policy_for_another_task(self) -> None:
        self.answers = [policy(task_id="task-2")]
        self.assertFalse(self.client.refresh())
        self.assertFalse(self.decide(type="list_files", path=".").allowed)

    def test_refresh_if_due_only_fetches_after_the_interval(self) -> None:
        self.answers = [policy(revision="r1"), policy(revision="r2", serial=2)]
        self.client.refresh_if_due()
        self.clock.now += 5
        self.client.refresh_if_due()
        self.assertEqual(self.decide(type="list_files", path=".").policy_revision, "r1")
        self.clock.now += 6
        self.client.refresh_if_due()
        self.assertEqual(self.decide(type="list_files", path=".").policy_revision, "r2")

    def test_every_decision_is_an_audit_event_in_the_contract_shape(self) -> None:
        self.answers = [policy()]
        self.client.refresh()
        decision = self.decide(type="write_file", path="out.txt", content="x")
        validate(decision.as_dict(), "decision")
        audits = [json.loads(line) for line in self.log.getvalue().splitlines() if json.loads(line)["event"] == "audit"]
        self.assertEqual(audits[-1]["fields"], decision.as_dict())


class RulesMeanWhatTheySayTest(PolicyFixture):
    def setUp(self) -> None:
        super().setUp()
        self.answers = [policy(RULES + [{"id": "no-rm", "effect": "deny", "actions": ["run_command"], "commands": ["rm *"]}, {"id": "cat", "effect": "allow", "actions": ["run_command"], "commands": ["cat *"]}])]
        self.assertTrue(self.client.refresh())

    def test_every_spelling_of_a_denied_path_hits_the_path_rule(self) -> None:
        for path in ["secrets/key", "./secrets/key", "secrets//key", "a/../secrets/key", "secrets/./key", "./a/.././secrets//key", "link/key", "a/../link/key", "secrets/new-file", "secrets", "./secrets/"]:
            for kind in ("read_file", "write_file", "list_files"):
                with self.subTest(path=path, kind=kind):
                    decision = self.decide(type=kind, path=path)
                    if path.rstrip("/") in ("secrets", "./secrets"):
                        continue  # the rule says secrets/*, not the directory itself
                    self.assertEqual((decision.allowed, decision.matched_rule), (False, "no-secrets"))

    def test_every_name_of_a_denied_program_hits_the_command_rule(self) -> None:
        os.symlink("/usr/bin/rm", self.root / "my-rm")
        real = resolve_program("rm", SEARCH_PATH, str(self.root))
        for argv0 in ["rm", "/bin/rm", "/usr/bin/rm", "/usr/bin/../bin/rm", "//usr//bin//rm", "./my-rm", real]:
            with self.subTest(argv0=argv0):
                decision = self.decide(type="run_command", argv=[argv0, "-rf", "."])
                self.assertEqual((decision.allowed, decision.matched_rule), (False, "no-rm"))

    def test_an_allow_rule_allows_only_its_own_program_under_its_own_name(self) -> None:
        os.symlink("/usr/bin/cat", self.root / "cat-alias")
        self.assertTrue(self.decide(type="run_command", argv=["/bin/cat", "notes.txt"]).allowed)
        self.assertTrue(self.decide(type="run_command", argv=["cat", "notes.txt"]).allowed)
        # Same executable under another name, a script that merely calls itself cat, a program that is not installed:
        (self.root / "cat").write_text("#!/bin/sh\necho pwned\n")
        (self.root / "cat").chmod(0o755)
        for argv0 in ["./cat-alias", "./cat", "no-such-program", "tac"]:
            with self.subTest(argv0=argv0):
                decision = self.decide(type="run_command", argv=[argv0, "notes.txt"])
                self.assertFalse(decision.allowed, argv0)

    def test_a_command_with_arguments_does_not_match_a_pattern_without_them(self) -> None:
        self.answers = [policy([{"id": "ls", "effect": "allow", "actions": ["run_command"], "commands": ["ls"]}], serial=2, revision="r2")]
        self.assertTrue(self.client.refresh())
        self.assertTrue(self.decide(type="run_command", argv=["ls"]).allowed)
        self.assertFalse(self.decide(type="run_command", argv=["ls", "/"]).allowed)


class DenyBypassTest(PolicyFixture):
    """A deny rule cannot be walked around through an allowed program that runs programs, under any name it has.

    The control plane refuses such a policy by program name; the runtime decides
    from the image's files (agent/program_classes.py), so a name no list knows
    (setarch installed as i386 or x86_64, a copy or a link in the workspace) is
    refused too.
    """

    RUNNERS = [
        # (argv, why it can run the denied command)
        (["i386", "/usr/bin/rm", "data.txt"], "setarch under another name runs its argument"),
        (["linux64", "/bin/sh", "-c", "rm data.txt"], "setarch again, giving a shell"),
        (["setarch", "x86_64", "rm", "data.txt"], "setarch itself"),
        (["sdiff", "--diff-program=/usr/bin/rm", "data.txt", "data.txt"], "sdiff runs the diff program it is given"),
        (["diff3", "--diff-program=/usr/bin/rm", "a", "b", "c"], "so does diff3"),
        (["ldd", "/workspace/tool"], "a shell script that runs the dynamic loader on its argument"),
        (["env", "rm", "data.txt"], "env runs its argument"),
        (["sort", "--compress-program=rm", "data.txt"], "sort's --compress-program"),
        (["python3", "-c", "import os; os.remove('data.txt')"], "an interpreter"),
    ]

    def policy_with(self, allow: dict) -> None:
        self.answers = [policy([allow, {"id": "no-rm", "effect": "deny", "actions": ["run_command"], "commands": ["rm *"]}])]
        self.assertTrue(self.client.refresh())

    def test_programs_that_run_programs_are_refused_next_to_a_deny_rule(self) -> None:
        programs = sorted({argv[0] for argv, _ in self.RUNNERS})
        self.policy_with({"id": "tools", "effect": "allow", "actions": ["run_command"], "commands": [f"{p} *" for p in programs] + ["cat *"]})
        for argv, why in self.RUNNERS:
            if resolve_program(argv[0], SEARCH_PATH, str(self.root)) is None:
                continue  # not installed where this runs
            with self.subTest(argv=argv[0], why=why):
                decision = self.decide(type="run_command", argv=argv)
                self.assertFalse(decision.allowed)
                self.assertEqual(decision.matched_rule, "tools")
                self.assertIn("is not a plain program of this image", decision.reason)
                self.assertIn("'no-rm'", decision.reason)
        self.assertTrue(self.decide(type="run_command", argv=["cat", "data.txt"]).allowed)
        self.assertIn("(called as i386)", self.decide(type="run_command", argv=["i386", "rm"]).reason)

    def test_any_program_allowed_means_only_plain_ones_next_to_a_deny_rule(self) -> None:
        self.policy_with({"id": "anything", "effect": "allow", "actions": ["run_command"], "commands": ["* *"]})
        self.assertTrue(self.decide(type="run_command", argv=["cat", "data.txt"]).allowed)
        self.assertFalse(self.decide(type="run_command", argv=["i386", "/usr/bin/rm", "data.txt"]).allowed)
        self.assertEqual(self.decide(type="run_command", argv=["rm", "data.txt"]).reason, "denied by rule")

    def test_a_copy_or_a_link_in_the_workspace_is_never_plain(self) -> None:
        cat = resolve_program("cat", SEARCH_PATH, str(self.root))
        shutil.copy(cat, self.root / "mycat")
        setarch = resolve_program("setarch", SEARCH_PATH, str(self.root))
        os.symlink(setarch, self.root / "cat-alias")
        self.policy_with({"id": "local", "effect": "allow", "actions": ["run_command"], "commands": [f"{self.root}/mycat *", f"{self.root}/cat-alias *"]})
        self.assertFalse(self.decide(type="run_command", argv=[f"{self.root}/mycat", "x"]).allowed)
        self.assertFalse(self.decide(type="run_command", argv=[f"{self.root}/cat-alias", "rm", "x"]).allowed)

    def test_arbitrary_code_or_no_deny_rule_lets_them_run(self) -> None:
        self.policy_with({"id": "tools", "effect": "allow", "actions": ["run_command"], "commands": ["i386 *"], "arbitrary_code": True})
        self.assertTrue(self.decide(type="run_command", argv=["i386", "rm", "x"]).allowed)
        self.answers = [policy([{"id": "tools", "effect": "allow", "actions": ["run_command"], "commands": ["i386 *"]}], serial=2)]
        self.assertTrue(self.client.refresh())
        self.assertTrue(self.decide(type="run_command", argv=["i386", "rm", "x"]).allowed)

    def test_a_listed_file_that_is_not_a_root_owned_elf_is_not_plain(self) -> None:
        script = self.root / "tool"
        script.write_text("#!/bin/sh\n")
        script.chmod(0o755)
        self.assertFalse(ProgramClasses([str(script)]).is_plain(str(script)))
        self.assertEqual(len(ProgramClasses([str(script), "/nonexistent"])), 0)
        self.assertTrue(ProgramClasses(["/bin/cat"]).is_plain(resolve_program("cat", SEARCH_PATH, str(self.root))))


class PolicySerialTest(PolicyFixture):
    def test_never_accepts_a_policy_older_than_the_one_in_force(self) -> None:
        loose = [{"id": "all", "effect": "allow", "actions": ["*"]}]
        cases = [
            ("lower serial", policy(loose, revision="r0", serial=4), False),
            ("same serial, other rules", policy(loose, revision="r9", serial=5), False),
            # The revision is a label whoever changes the rules chooses: only the rules' digest says what a policy is.
            ("same serial and revision, other rules", policy(loose, revision="r5", serial=5), False),
            ("same serial and revision, one rule reordered", policy(list(reversed(RULES)), revision="r5", serial=5), False),
            ("same serial and revision, one pattern widened", policy([*RULES[:2], {**RULES[2], "commands": ["echo*"]}, RULES[3]], revision="r5", serial=5), False),
            ("same rules, keys in another order, new label", policy([dict(reversed(list(rule.items()))) for rule in RULES], revision="r5b", serial=5), True),
            ("same policy again", policy(revision="r5", serial=5), True),
            ("higher serial", policy(revision="r6", serial=6), True),
        ]
        for name, candidate, accepted in cases:
            with self.subTest(name):
                self.answers = [policy(revision="r5", serial=5), candidate]
                client = PolicyClient(self.fetch, "task-1", refresh_s=10, max_age_s=60, logger=JsonLogger("task-1", stream=self.log), clock=self.clock)
                self.assertTrue(client.refresh())
                self.assertEqual(client.refresh(), accepted)
                self.assertEqual(client.valid_policy().revision, candidate["revision"] if accepted else "r5")

    def test_an_expired_policy_still_sets_the_floor(self) -> None:
        self.answers = [policy(serial=7, revision="r7"), policy(RULES, serial=3, revision="r3")]
        self.assertTrue(self.client.refresh())
        self.clock.now += 120
        self.assertIsNone(self.client.valid_policy())
        self.assertFalse(self.client.refresh())
        self.assertIsNone(self.client.valid_policy())

    def test_serial_must_be_a_positive_integer(self) -> None:
        for serial in [0, -1, 1.5, "2", True, None]:
            with self.subTest(serial=serial):
                self.answers = [policy(serial=serial)]
                self.assertFalse(self.client.refresh())


if __name__ == "__main__":
    unittest.main()
