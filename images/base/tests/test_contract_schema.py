"""The contract's gate: parse_message (bytes to value) and check/check_action (value to a message), attacked by tables."""

import copy
import json
import unittest
from pathlib import Path
from typing import Any

from agent.contract_schema import CONTRACT, KEYWORDS, LIMITS, ContractViolation, _schema, check, check_action, encode_message, parse_message, schema, validate

DEPTH = LIMITS["maxNestingDepth"]
NAN, INF = float("nan"), float("inf")

ACTIONS: dict[str, dict[str, Any]] = {
    "run_command": {"id": "a1", "type": "run_command", "argv": ["echo", "hi"], "timeout_s": 60, "max_output_bytes": 65536, "cwd": "sub"},
    "read_file": {"id": "r1", "type": "read_file", "path": "notes/x.txt", "max_bytes": 1024},
    "write_file": {"id": "w1", "type": "write_file", "path": "x.txt", "content": "hi", "append": False},
    "list_files": {"id": "l1", "type": "list_files", "path": "."},
}

NOT_AN_INTEGER = {"true": True, "false": False, "string number": "60", "null": None, "list": [1], "object": {"v": 1}, "float 1.0": 1.0, "float 1.5": 1.5, "NaN": NAN, "Infinity": INF}
NOT_A_NUMBER = {"true": True, "string number": "60", "null": None, "list": [60], "object": {"v": 60}, "NaN": NAN, "Infinity": INF, "-Infinity": -INF}
NOT_A_STRING = {"true": True, "integer": 1, "float": 1.5, "null": None, "list": ["x"], "object": {"x": 1}}
NOT_A_BOOLEAN = {"1": 1, "0": 0, "string": "true", "null": None, "list": [True], "object": {}}
SURROGATES = {"high": "\ud800", "low": "\udfff", "in text": "ab\udc00cd", "reversed pair": "\udc00\ud800"}


def with_field(kind: str, field: str, value: Any) -> dict[str, Any]:
    action = copy.deepcopy(ACTIONS[kind])
    action[field] = value
    return action


def without(kind: str, field: str) -> dict[str, Any]:
    action = copy.deepcopy(ACTIONS[kind])
    del action[field]
    return action


def bad_actions() -> dict[str, Any]:
    """Every attack on an action, by name."""
    rows: dict[str, Any] = {}
    for kind, field in (("run_command", "max_output_bytes"), ("read_file", "max_bytes")):
        for name, value in {**NOT_AN_INTEGER, "2**64": 2**64, "10**30": 10**30, "10**400 (beyond any float)": 10**400, "-10**400": -(10**400), "zero": 0, "negative": -1, "-2**63": -(2**63), "over the limit": LIMITS["maxOutputBytes"] + 1}.items():
            rows[f"{kind}.{field} {name}"] = with_field(kind, field, value)
    for name, value in {**NOT_A_NUMBER, "zero": 0, "negative": -1, "over 3600": 3601, "10**30": 10**30, "10**400 (beyond any float)": 10**400, "-10**400": -(10**400)}.items():
        rows[f"run_command.timeout_s {name}"] = with_field("run_command", "timeout_s", value)
    for kind, field in (("run_command", "id"), ("read_file", "path"), ("write_file", "path"), ("write_file", "content"), ("list_files", "path"), ("run_command", "cwd")):
        for name, value in NOT_A_STRING.items():
            rows[f"{kind}.{field} {name}"] = with_field(kind, field, value)
        for name, value in SURROGATES.items():
            rows[f"{kind}.{field} lone surrogate {name}"] = with_field(kind, field, value)
    for name, value in NOT_A_BOOLEAN.items():
        rows[f"write_file.append {name}"] = with_field("write_file", "append", value)
    for kind, field in (("read_file", "path"), ("write_file", "path"), ("list_files", "path"), ("run_command", "cwd")):
        rows[f"{kind}.{field} NUL"] = with_field(kind, field, "a\x00b")
        rows[f"{kind}.{field} empty"] = with_field(kind, field, "")
        rows[f"{kind}.{field} over 4096"] = with_field(kind, field, "p" * 4097)
    argv = {
        "empty": [], "a string": "echo hi", "null": None, "an object": {"0": "echo"},
        "integer item": ["echo", 1], "bool item": [True], "null item": [None], "list item": [["echo"]],
        "NUL in an item": ["echo", "a\x00b"], "lone surrogate item": ["echo", "\ud800"],
        "item over maxArgChars": ["echo", "x" * (LIMITS["maxArgChars"] + 1)], "over maxArgs items": ["a"] * (LIMITS["maxArgs"] + 1),
    }
    for name, value in argv.items():
        rows[f"run_command.argv {name}"] = with_field("run_command", "argv", value)
    rows["write_file.content over maxContentChars"] = with_field("write_file", "content", "c" * (LIMITS["maxContentChars"] + 1))
    for name, value in {"empty": "", "leading dash": "-a", "space": "a b", "trailing newline": "a\n", "129 chars": "a" * 129, "non-ASCII": "é", "slash": "a/b", "Arabic digit": "\u0661"}.items():
        rows[f"id {name}"] = with_field("read_file", "id", value)
    for kind in ACTIONS:
        rows[f"{kind} unknown field"] = with_field(kind, "extra", 1)
        rows[f"{kind} key with a lone surrogate"] = with_field(kind, "\ud800", 1)
        for field in ACTIONS[kind]:
            if field != "cwd":
                rows[f"{kind} without {field}"] = without(kind, field)
    rows["run_command with read_file's path"] = with_field("run_command", "path", "x")
    for name, value in {"unknown": "delete_all", "upper case": "RUN_COMMAND", "null": None, "integer": 1}.items():
        rows[f"type {name}"] = with_field("run_command", "type", value)
    for name, value in {"list": [ACTIONS["read_file"]], "string": "read_file", "null": None, "integer": 1, "true": True}.items():
        rows[f"not an object: {name}"] = value
    return rows


class ParseMessageTest(unittest.TestCase):
    """Raw bodies that are not JSON by the contract's rules are ContractViolation, never a crash or a hang."""

    BAD = {
        "NaN": b'{"wait_ms": NaN}',
        "Infinity": b'{"wait_ms": Infinity}',
        "-Infinity": b"[-Infinity]",
        "1e400 (overflows to inf)": b"[1e400]",
        "-1e400": b"[-1e400]",
        "integer of 5000 digits": b"[" + b"9" * 5000 + b"]",
        "lone high surrogate": b'"\\ud800"',
        "lone low surrogate": b'["\\udfff"]',
        "high surrogate then a letter": b'"\\ud800\\u0041"',
        "reversed pair": b'"\\udc00\\ud800"',
        "lone surrogate in a key": b'{"\\ud800": 1}',
        "lone surrogate in a nested key": b'{"a": [{"b\\udc80": 1}]}',
        "surrogate encoded in UTF-8": b'"\xed\xa0\x80"',
        "overlong UTF-8": b'"\xc0\xaf"',
        "latin-1 byte": b'"caf\xe9"',
        "UTF-16": '{"done": true}'.encode("utf-16"),
        "UTF-32": '{"done": true}'.encode("utf-32"),
        "UTF-8 BOM": b'\xef\xbb\xbf{"done": true}',
        "duplicate keys": b'{"done": true, "done": false}',
        "duplicate nested keys": b'{"action": {"id": "a", "id": "b"}}',
        "depth limit + 1 (arrays)": b"[" * (DEPTH + 1) + b"]" * (DEPTH + 1),
        "depth limit + 1 (objects)": b'{"a":' * (DEPTH + 1) + b"{}" + b"}" * (DEPTH + 1),
        "100000 deep arrays": b"[" * 100000 + b"]" * 100000,
        "100000 deep objects": b'{"a":' * 100000 + b"1" + b"}" * 100000,
        "100000 unclosed": b"[" * 100000,
        "100000 deep mixed": b'[{"a":' * 50000 + b"1" + b"}]" * 50000,
        "empty": b"",
        "only whitespace": b"  \n",
        "trailing garbage": b'{"done": true} {}',
        "single quotes": b"{'done': true}",
        "comment": b'{"done": true /* no */}',
        "over maxMessageBytes": b" " * (LIMITS["maxMessageBytes"] + 1),
        "integer of 309 digits": b"[" + b"9" * 309 + b"]",  # over a double's range: JavaScript reads Infinity
        "integer of 4000 digits": b"[" + b"9" * 4000 + b"]",
    }

    def test_bad_bodies(self) -> None:
        for name, raw in self.BAD.items():
            with self.subTest(name), self.assertRaises(ContractViolation) as caught:
                parse_message(raw)
            self.assertNotIn("\n", str(caught.exception))
            self.assertLess(len(str(caught.exception)), 400)

    def test_good_bodies(self) -> None:
        rows = {
            b'{"done": true}': {"done": True},
            b'"\\ud83d\\ude00"': "\U0001f600",  # an escaped surrogate pair is one character, not a lone surrogate
            "\"é\"".encode(): "é",
            b"[" * DEPTH + b"]" * DEPTH: eval("[" * DEPTH + "]" * DEPTH),
            b"[" + b"9" * 308 + b"]": [int("9" * 308)],  # below 1.8e308: a double holds it (rounded), so it is a number
            b"[1.0, -0.0, 1e2, 0.5]": [1, 0, 100, 0.5],  # integral numbers within the safe range are integers, as in JavaScript
            b" " * 10 + b"{}": {},
        }
        for raw, value in rows.items():
            with self.subTest(raw[:40]):
                self.assertEqual(parse_message(raw), value)

    def test_a_body_at_the_size_limit_is_parsed(self) -> None:
        raw = b'"' + b"x" * (LIMITS["maxMessageBytes"] - 2) + b'"'
        self.assertEqual(len(parse_message(raw)), LIMITS["maxMessageBytes"] - 2)

    def test_only_bytes(self) -> None:
        for value in ('{"done": true}', None, 1):
            with self.subTest(value), self.assertRaises(TypeError):
                parse_message(value)  # type: ignore[arg-type]


class CheckActionTest(unittest.TestCase):
    """check_action accepts the four actions within the contract's limits and refuses every variation outside it."""

    def test_valid_actions(self) -> None:
        rows = {
            **{kind: action for kind, action in ACTIONS.items()},
            "run_command without cwd": without("run_command", "cwd"),
            "largest output": with_field("run_command", "max_output_bytes", LIMITS["maxOutputBytes"]),
            "smallest timeout": with_field("run_command", "timeout_s", 0.001),
            "longest timeout": with_field("run_command", "timeout_s", 3600),
            "most arguments": with_field("run_command", "argv", ["a"] * LIMITS["maxArgs"]),
            "longest argument": with_field("run_command", "argv", ["x" * LIMITS["maxArgChars"]]),
            "longest content": with_field("write_file", "content", "c" * LIMITS["maxContentChars"]),
            "empty content": with_field("write_file", "content", ""),
            "128-character id": with_field("read_file", "id", "a" * 128),
            "4-byte characters": with_field("write_file", "content", "\U0001f600" * 10),
        }
        for name, action in rows.items():
            with self.subTest(name):
                self.assertIs(check_action(action), action)

    def test_invalid_actions(self) -> None:
        for name, action in bad_actions().items():
            with self.subTest(name), self.assertRaises(ContractViolation) as caught:
                check_action(action)
            reason = str(caught.exception)
            self.assertNotIn("\n", reason)
            self.assertLessEqual(len(reason), 1000)

    def test_any_value_in_any_field_is_accepted_or_refused_never_a_crash(self) -> None:
        palette = [
            None, True, False, 0, -1, 1, 2**53 + 1, 10**400, -(10**400), 10**5000, 0.5, -0.0, 1e308, 5e-324, NAN, INF, -INF,
            "", "a", "\x00", "\ud800", "a\n", "é" * 10, "x" * 5000, [], [None], ["\ud800"], [[[[]]]], {}, {"\ud800": 1}, {"a": NAN}, {1: 2},
        ]
        for kind, action in ACTIONS.items():
            for field in [*action, "extra"]:
                for value in palette:
                    with self.subTest(kind=kind, field=field, value=type(value).__name__):
                        try:
                            check_action(with_field(kind, field, value))
                        except ContractViolation as violation:
                            self.assertNotIn("\n", str(violation))

    def test_a_reason_names_the_field_at_fault(self) -> None:
        with self.assertRaises(ContractViolation) as caught:
            check_action(with_field("read_file", "max_bytes", True))
        self.assertIn("max_bytes", str(caught.exception))

    def test_nesting_far_too_deep_does_not_crash(self) -> None:
        deep: Any = "x"
        for _ in range(100000):
            deep = {"a": deep}
        for value in (deep, with_field("write_file", "content", deep)):
            with self.subTest(type=type(value).__name__), self.assertRaises(ContractViolation):
                check_action(value)


class CheckMessagesTest(unittest.TestCase):
    """check() holds every message kind to its schema, with Python's and JavaScript's differences closed."""

    VALID_POLICY = {"task_id": "t", "revision": "r1", "serial": 1, "issued_at": "2024-02-29T12:00:00.5Z", "rules": [{"id": "r", "effect": "allow", "actions": ["*"]}]}
    DECISION = {"decision_id": "d", "action_id": "a", "action_type": "run_command", "allowed": True, "matched_rule": None, "policy_revision": None, "reason": "x"}
    RESULT = {"action_id": "a", "status": "succeeded", "decision": DECISION, "exit_code": 0, "stdout": "", "duration_ms": 1.5}

    def test_invalid_messages(self) -> None:
        policy, result = self.VALID_POLICY, self.RESULT
        rows: list[tuple[str, Any, str]] = [
            ("wait_ms true", {"wait_ms": True}, "next-action-response"),
            ("wait_ms float", {"wait_ms": 1.5}, "next-action-response"),
            ("wait_ms negative", {"wait_ms": -1}, "next-action-response"),
            ("wait_ms string", {"wait_ms": "100"}, "next-action-response"),
            ("wait_ms 2**64", {"wait_ms": 2**64}, "next-action-response"),
            ("wait_ms 10**400", {"wait_ms": 10**400}, "next-action-response"),
            ("heartbeat interval 10**400 (a number, but no float holds it)", {"task_id": "t", "heartbeat_interval_s": -(10**400)}, "register-response"),
            ("result duration -10**400", {**result, "duration_ms": -(10**400)}, "action-result"),
            ("done 1 (True == 1 in Python)", {"done": 1}, "next-action-response"),
            ("done false", {"done": False}, "next-action-response"),
            ("done string", {"done": "true"}, "next-action-response"),
            ("empty answer", {}, "next-action-response"),
            ("two answers at once", {"done": True, "wait_ms": 1}, "next-action-response"),
            ("invalid action", {"action": with_field("read_file", "max_bytes", 0)}, "next-action-response"),
            ("action with a sibling", {"action": ACTIONS["list_files"], "extra": 1}, "next-action-response"),
            ("heartbeat interval true", {"task_id": "t", "heartbeat_interval_s": True}, "register-response"),
            ("heartbeat interval zero", {"task_id": "t", "heartbeat_interval_s": 0}, "register-response"),
            ("heartbeat interval NaN", {"task_id": "t", "heartbeat_interval_s": NAN}, "register-response"),
            ("heartbeat interval Infinity", {"task_id": "t", "heartbeat_interval_s": INF}, "register-response"),
            ("heartbeat interval string", {"task_id": "t", "heartbeat_interval_s": "5"}, "register-response"),
            ("task_id integer", {"task_id": 1}, "register-response"),
            ("policy serial true", {**policy, "serial": True}, "policy"),
            ("policy serial zero", {**policy, "serial": 0}, "policy"),
            ("policy serial float", {**policy, "serial": 1.0}, "policy"),
            ("policy serial over 2**53", {**policy, "serial": 2**60}, "policy"),
            ("policy without serial", {k: v for k, v in policy.items() if k != "serial"}, "policy"),
            ("policy date that does not exist", {**policy, "issued_at": "2023-02-29T00:00:00Z"}, "policy"),
            ("policy date with a trailing newline", {**policy, "issued_at": "2024-01-01T00:00:00Z\n"}, "policy"),
            ("policy date in Arabic-Indic digits", {**policy, "issued_at": "\u0662\u0660\u0662\u0664-01-01T00:00:00Z"}, "policy"),
            ("policy rule arbitrary_code 1", {**policy, "rules": [{**policy["rules"][0], "arbitrary_code": 1}]}, "policy"),
            ("policy rule empty actions", {**policy, "rules": [{**policy["rules"][0], "actions": []}]}, "policy"),
            ("policy rule unknown effect", {**policy, "rules": [{**policy["rules"][0], "effect": "maybe"}]}, "policy"),
            ("result exit_code true", {**result, "exit_code": True}, "action-result"),
            ("result exit_code float", {**result, "exit_code": 1.0}, "action-result"),
            ("result duration NaN", {**result, "duration_ms": NAN}, "action-result"),
            ("result duration negative", {**result, "duration_ms": -1}, "action-result"),
            ("result stdout null", {**result, "stdout": None}, "action-result"),
            ("result stdout lone surrogate", {**result, "stdout": "\ud800"}, "action-result"),
            ("result unknown status", {**result, "status": "maybe"}, "action-result"),
            ("log line NaN in a free field", {"ts": "2024-01-01T00:00:00.000Z", "level": "info", "task_id": None, "event": "e", "fields": {"x": NAN}}, "log-line"),
            ("log line surrogate key in a free field", {"ts": "2024-01-01T00:00:00.000Z", "level": "info", "task_id": None, "event": "e", "fields": {"\udc80": 1}}, "log-line"),
            ("log line fields nested too deep", {"ts": "2024-01-01T00:00:00.000Z", "level": "info", "task_id": None, "event": "e", "fields": eval('{"a":' * DEPTH + "1" + "}" * DEPTH)}, "log-line"),
            ("log line empty event", {"ts": "2024-01-01T00:00:00.000Z", "level": "info", "task_id": None, "event": "", "fields": {}}, "log-line"),
            ("log line unknown level", {"ts": "2024-01-01T00:00:00.000Z", "level": "fatal", "task_id": None, "event": "e", "fields": {}}, "log-line"),
            ("heartbeat unknown state", {"state": "dancing", "current_action": None, "policy_revision": None}, "heartbeat"),
        ]
        for name, value, message in rows:
            with self.subTest(name), self.assertRaises(ContractViolation) as caught:
                check(value, message)
            self.assertNotIn("\n", str(caught.exception))

    def test_valid_messages(self) -> None:
        rows = [
            ({"wait_ms": 0}, "next-action-response"),
            ({"done": True}, "next-action-response"),
            ({"action": ACTIONS["run_command"]}, "next-action-response"),
            ({"task_id": "t", "heartbeat_interval_s": 0.5}, "register-response"),
            (self.VALID_POLICY, "policy"),
            (self.RESULT, "action-result"),
            ({**self.RESULT, "status": "rejected", "exit_code": None, "entries": [{"name": "f", "type": "file", "size": 3}]}, "action-result"),
            ({"ts": "2024-01-01T00:00:00.000Z", "level": "info", "task_id": None, "event": "e", "fields": {"a": [1, {"b": None}]}}, "log-line"),
        ]
        for value, message in rows:
            with self.subTest(message):
                check(value, message)

    def test_validate_is_the_tests_assertion(self) -> None:
        validate({"done": True}, "next-action-response")
        with self.assertRaises(AssertionError):
            validate({"done": 1}, "next-action-response")


class JavaScriptReadingTest(unittest.TestCase):
    """Where Python and JavaScript (zod, on the control plane) read a message differently, the runtime reads it as JavaScript does.

    contract_corpus.json (test_contract_corpus.py) holds both ends to the same verdict on thousands of cases; these are the rules behind them.
    """

    POLICY = CheckMessagesTest.VALID_POLICY

    def test_date_times_are_zods_datetime(self) -> None:
        rows = {
            "2020-01-01T00:00:00Z": True,
            "2020-01-01T00:00:00.123456789Z": True,  # RFC 3339: any number of fraction digits (Python's datetime keeps 6)
            "0000-02-29T00:00:00Z": True,  # year 0000 is RFC 3339 and a leap year; Python's datetime refuses it
            "2020-01-01": False,  # a bare date (fromisoformat accepts it)
            "2020-01-01T00:00:00": False,  # no offset: a local time
            "2020-01-01T00:00:00+01:00": False,  # RFC 3339 numeric offsets: zod's datetime() wants Z
            "2020-01-01t00:00:00z": False,  # RFC 3339 allows lower case; zod does not
            "2016-12-31T23:59:60Z": False,  # leap second
            "2020-01-01T00:00Z": False,  # seconds missing
            "2020-01-01 00:00:00Z": False,
            "1900-02-29T00:00:00Z": False,
        }
        for text, valid in rows.items():
            with self.subTest(text):
                policy = {**self.POLICY, "issued_at": text}
                if valid:
                    check(policy, "policy")
                else:
                    self.assertRaises(ContractViolation, check, policy, "policy")

    def test_integral_numbers_are_integers_and_numbers_are_doubles(self) -> None:
        self.assertEqual(parse_message(b'{"wait_ms": 1.0}'), {"wait_ms": 1})
        self.assertIsInstance(parse_message(b"[1e2]")[0], int)
        self.assertIsInstance(parse_message(b"[9007199254740992.0]")[0], float)  # beyond the safe range it stays a float: not an integer
        check(parse_message(b'{"wait_ms": 1E0}'), "next-action-response")
        self.assertRaises(ContractViolation, check, {"task_id": "t", "heartbeat_interval_s": 10**400}, "register-response")
        self.assertRaises(ContractViolation, parse_message, b'{"task_id": "t", "heartbeat_interval_s": 1' + b"0" * 400 + b"}")

    def test_patterns_mean_what_they_mean_in_javascript(self) -> None:
        from agent.contract_schema import _pattern

        self.assertIsNotNone(_pattern(r"^\s$").search("\u00a0"))  # ECMAScript \s is Unicode white space
        self.assertIsNone(_pattern(r"^[^\s]$").search("\u3000"))
        self.assertIsNone(_pattern(r"^\d$").search("\u0662"))  # \d is ASCII
        self.assertIsNone(_pattern(r"^.$").search("\u2028"))  # . stops at line terminators
        self.assertIsNone(_pattern(r"^a$").search("a\n"))  # $ is the end
        self.assertIsNone(_pattern(r"^[a[]$").search("b"))
        with self.assertRaises(RuntimeError):
            _pattern(r"[\S]")

    def test_a_command_rule_names_its_program_without_wildcards(self) -> None:
        for pattern, valid in {"echo *": True, "/bin/ls": True, "*": True, "ec*ho": False, "./x": False, "echo\u00a0*": False, " echo": False}.items():
            with self.subTest(pattern):
                policy = {**self.POLICY, "rules": [{"id": "r", "effect": "allow", "actions": ["run_command"], "commands": [pattern]}]}
                if valid:
                    check(policy, "policy")
                else:
                    self.assertRaises(ContractViolation, check, policy, "policy")

    def test_argv_0_names_a_program(self) -> None:
        self.assertRaises(ContractViolation, check_action, with_field("run_command", "argv", [""]))
        self.assertRaises(ContractViolation, check_action, with_field("run_command", "argv", ["", "x"]))
        check_action(with_field("run_command", "argv", ["echo", ""]))


class SchemaFilesTest(unittest.TestCase):
    def test_every_schema_uses_only_enforced_keywords(self) -> None:
        for path in sorted(CONTRACT.glob("*.schema.json")):
            with self.subTest(path.name):
                _schema(path.name[: -len(".schema.json")])

    def test_an_unknown_keyword_is_refused_not_ignored(self) -> None:
        from agent.contract_schema import _known_keywords

        with self.assertRaises(RuntimeError):
            _known_keywords({"type": "object", "properties": {"a": {"type": "array", "uniqueItems": True}}}, "test")
        self.assertNotIn("uniqueItems", KEYWORDS)

    def test_limits_match_the_action_schema(self) -> None:
        self.assertEqual(set(LIMITS), {"maxMessageBytes", "maxNestingDepth", "maxOutputBytes", "maxContentChars", "maxArgChars", "maxArgs"})
        run, read, write = (option["properties"] for option in schema("action")["oneOf"][:3])
        self.assertEqual(run["argv"]["maxItems"], LIMITS["maxArgs"])
        self.assertEqual(run["argv"]["items"]["maxLength"], LIMITS["maxArgChars"])
        self.assertEqual(run["max_output_bytes"]["maximum"], LIMITS["maxOutputBytes"])
        self.assertEqual(read["max_bytes"]["maximum"], LIMITS["maxOutputBytes"])
        self.assertEqual(write["content"]["maxLength"], LIMITS["maxContentChars"])

    def test_schema_returns_a_copy(self) -> None:
        schema("action")["oneOf"].clear()
        check_action(ACTIONS["read_file"])
        self.assertTrue(Path(CONTRACT / "limits.json").is_file())


class EncodeMessageTest(unittest.TestCase):
    def test_compact_utf8(self) -> None:
        self.assertEqual(encode_message({"a": "é", "b": [1, None]}), '{"a":"é","b":[1,null]}'.encode())

    def test_lone_surrogates_become_replacement_characters(self) -> None:
        for name, text in SURROGATES.items():
            with self.subTest(name):
                raw = encode_message({"entries": [{"name": text}], text: 1})
                parsed = parse_message(raw)
                self.assertNotRegex(json.dumps(parsed, ensure_ascii=False), "[\ud800-\udfff]")
                self.assertIn("\ufffd", raw.decode())

    def test_non_finite_numbers_are_a_bug(self) -> None:
        for value in (NAN, INF, -INF):
            with self.subTest(value), self.assertRaises(ValueError):
                encode_message({"duration_ms": value})


if __name__ == "__main__":
    unittest.main()
