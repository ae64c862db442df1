import io
import json
import unittest

from agent.control_plane import ControlPlaneUnavailable, MalformedResponse
from agent.logs import JsonLogger
from agent.policy_client import PolicyClient
from jsonschema_subset import validate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


RULES = [
    {"id": "files", "effect": "allow", "actions": ["read_file", "write_file", "list_files"]},
    {"id": "no-secrets", "effect": "deny", "actions": ["*"], "paths": ["secrets/*"]},
    {"id": "echo", "effect": "allow", "actions": ["run_command"], "commands": ["echo *"]},
    {"id": "no-curl", "effect": "deny", "actions": ["run_command"], "commands": ["curl *"]},
]


def policy(rules=RULES, revision="r1", task_id="task-1"):
    return {"task_id": task_id, "revision": revision, "issued_at": "2026-01-01T00:00:00Z", "rules": rules}


class PolicyClientTest(unittest.TestCase):
    def setUp(self) -> None:
        self.answers: list = []
        self.log = io.StringIO()
        self.clock = Clock()
        self.client = PolicyClient(self.fetch, "task-1", refresh_s=10, max_age_s=60, logger=JsonLogger("task-1", stream=self.log), clock=self.clock)

    def fetch(self):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def decide(self, **action):
        return self.client.evaluate({"id": "a1", **action})

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
        denied = self.decide(type="run_command", argv=["curl", "http://x"])
        self.assertEqual((denied.allowed, denied.matched_rule), (False, "no-curl"))
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
        self.answers = [policy(revision="r1"), policy(revision="r2")]
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


if __name__ == "__main__":
    unittest.main()
