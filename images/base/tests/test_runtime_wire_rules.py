"""An action the runtime cannot accept is reported rejected, with its reason, and the task goes on.

The wire rules (no lone surrogate, no key twice, numbers a double holds,
nesting at most maxNestingDepth) refuse a whole answer of the control plane
only when the answer is not one; when what breaks them sits inside the action
of a next-action answer, that action is rejected like any other contract
violation: reported under its id when the id is usable, logged always. Before,
such an answer was taken for an unreachable control plane: the action was
never reported and the task stayed running, heartbeating, for ever.
"""

import json
import unittest
from typing import Any

from contract_server import ContractServer
from test_runtime import RULES, TOKEN, RuntimeFixture, command

from agent.contract_schema import LIMITS, Flaw, check_tree, parse_answer, parse_message
from agent.control_plane import ControlPlaneClient, MalformedResponse


class Repeated(dict):
    """A dict json.dumps writes with a key twice (the C encoder lists a dict subclass through items())."""

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__(pairs)
        self.pairs = pairs

    def items(self):  # type: ignore[override]
        return list(self.pairs)


def listing(action_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": action_id, "type": "list_files", "path": ".", **fields}


class LoneSurrogateActionTest(RuntimeFixture):
    def test_an_action_breaking_the_wire_rules_is_reported_rejected_and_the_task_goes_on(self) -> None:
        deep: Any = 1
        for _ in range(LIMITS["maxNestingDepth"] + 8):
            deep = [deep]
        invalid = {
            # RFC 8259 §8.2: "\ud800" is a lone surrogate; json.dumps writes it as that escape, as JSON.stringify does.
            "lone high surrogate in argv": command("s1", "echo", "a\ud800"),
            "lone low surrogate in a path": {"id": "s2", "type": "read_file", "path": "x\udfff", "max_bytes": 10},
            "lone surrogate in content": {"id": "s3", "type": "write_file", "path": "w.txt", "content": "\udc00", "append": False},
            "lone surrogate in a key": listing("s4", **{"k\ud800": 1}),
            "reversed pair in cwd": command("s5", "echo", "x", cwd="\udc00\ud800"),
            "path given twice": Repeated([("id", "s6"), ("type", "read_file"), ("path", "x"), ("path", "../../etc/passwd")]),
            "nesting beyond the limit": listing("s7", extra=deep),
            "integer beyond a double": command("s8", "echo") | {"timeout_s": 10**400},
        }
        unreportable = {
            "lone surrogate in the id": listing("s\ud800"),
            "id given twice": Repeated([("id", "u1"), ("id", "u2"), ("type", "list_files"), ("path", ".")]),
        }
        valid_pair = {"id": "pair", "type": "write_file", "path": "pair.txt", "content": "\U0001f600", "append": False}
        actions = [command("before", "echo", "before"), *invalid.values(), *unreportable.values(), valid_pair, command("after", "echo", "after")]
        with ContractServer("task-1", actions, RULES, token=TOKEN, check_actions=False) as server:
            code, lines = self.finish(self.start(server.url))
        self.assertEqual(code, 0)
        self.assertEqual(server.problems, [])
        events = [line["event"] for line in lines]
        self.assertNotIn("control_plane_unreachable", events)
        results = {r["action_id"]: r for r in server.results}
        self.assertEqual(results["before"]["stdout"], "before\n")
        self.assertEqual(results["after"]["stdout"], "after\n")
        self.assertEqual(results["pair"]["status"], "succeeded")
        self.assertEqual((self.workspace / "pair.txt").read_text(encoding="utf-8"), "\U0001f600")
        reasons = {"s1": "lone surrogate", "s2": "lone surrogate", "s3": "lone surrogate", "s4": "lone surrogate", "s5": "lone surrogate", "s6": "appears twice", "s7": "nests deeper", "s8": "out of range"}
        for name, action in invalid.items():
            with self.subTest(name):
                result = results[action["id"]]
                self.assertEqual(result["status"], "rejected")
                self.assertFalse(result["decision"]["allowed"])
                self.assertTrue(result["error"].startswith("invalid action: "), result["error"])
                self.assertIn(reasons[action["id"]], result["error"])
                self.assertNotIn("\n", result["error"])
        self.assertEqual(len([line for line in lines if line["event"] == "action_rejected"]), len(unreportable))
        self.assertFalse((self.workspace / "w.txt").exists())
        self.assertEqual(set(results), {"before", "after", "pair", *reasons})


class AnswerParsingTest(unittest.TestCase):
    """The client refuses an answer breaking the wire rules, and hands on the object when it is one."""

    def answer_of(self, body: bytes) -> MalformedResponse:
        from test_control_plane import RawServer, respond  # the raw HTTP server of the client's own tests

        with RawServer(lambda conn, server: (server.read_request(conn), respond(conn, 200, body))) as server:
            client = ControlPlaneClient(server.url, "t", TOKEN, 5)
            with self.assertRaises(MalformedResponse) as caught:
                client.next_action()
            client.close()
        return caught.exception

    def test_a_lone_surrogate_inside_an_action_comes_with_the_answer(self) -> None:
        error = self.answer_of(b'{"action": {"id": "a1", "type": "read_file", "path": "\\ud800"}}')
        self.assertIn("lone surrogate", str(error))
        self.assertEqual(error.answer, {"action": {"id": "a1", "type": "read_file", "path": "\ud800"}})

    def test_what_is_not_a_json_object_comes_without_one(self) -> None:
        for body in (b"[1]", b"{", b'{"wait_ms": NaN}', b"\xef\xbb\xbf{}", b"[" * 100000):
            with self.subTest(body[:10]):
                self.assertIsNone(self.answer_of(body).answer)

    def test_parse_answer_keeps_flaws_where_they_are_and_check_tree_refuses_them(self) -> None:
        value = parse_answer(b'{"a": {"k": 1, "k": 2}, "n": 1e400, "i": ' + b"9" * 400 + b', "s": "\\udc00", "ok": 1.0}')
        self.assertIsInstance(value["a"]["k"], Flaw)
        self.assertIsInstance(value["n"], Flaw)
        self.assertIsInstance(value["i"], Flaw)
        self.assertEqual((value["s"], value["ok"]), ("\udc00", 1))
        for part in ("a", "n", "i", "s"):
            with self.subTest(part), self.assertRaises(ValueError):
                check_tree({part: value[part]})
        check_tree({"ok": value["ok"]})
        # parse_message refuses the same body outright.
        with self.assertRaises(ValueError):
            parse_message(json.dumps({"s": "\udc00"}).encode())


if __name__ == "__main__":
    unittest.main()
