"""fit_result: a result over the message size is cut visibly to fit, never dropped, and stays a valid action result."""

import copy
import json
import unittest
from typing import Any

from agent.contract_schema import LIMITS, check, encode_message
from agent.results import entries_marker, fit_result, marker

DECISION = {"decision_id": "d-1", "action_id": "a-1", "action_type": "run_command", "allowed": True, "matched_rule": "r", "policy_revision": "rev-1", "reason": "allowed by rule"}


def result(**fields: Any) -> dict[str, Any]:
    return {"action_id": "a-1", "status": "succeeded", "decision": DECISION, "duration_ms": 12.5, **fields}


def entries(count: int, name: str = "file-{:06d}.txt") -> list[dict[str, Any]]:
    return [{"name": name.format(index), "type": "file", "size": index} for index in range(count)]


class FitResultTest(unittest.TestCase):
    SMALL = 20_000  # most rows use a small limit: the arithmetic is the same and the tests stay fast

    def assertFits(self, fitted: dict[str, Any], max_bytes: int) -> None:
        self.assertLessEqual(len(encode_message(fitted)), max_bytes)
        check(fitted, "action-result")

    def worst_cases(self, big: int) -> dict[str, dict[str, Any]]:
        return {
            "ASCII stdout": result(stdout="a" * big),
            "control characters (6 bytes each in JSON)": result(stdout="\x01" * big, stderr="\x1f" * (big // 3)),
            "quotes and backslashes (2 bytes each)": result(stdout='"\\' * (big // 2)),
            "4-byte UTF-8": result(content="\U0001f600" * big),
            "mixed widths": result(stdout="a\x02é\u20ac\U0001f600" * (big // 5)),
            "lone surrogates (sent as U+FFFD, 3 bytes)": result(stdout="\udcff" * big),
            "100k entries": result(entries=entries(100_000)),
            "100k entries with 4-byte names": result(entries=entries(100_000, "\U0001f600{:06d}\x01")),
            "entries with lone surrogate names": result(entries=entries(5_000, "\udcff{:06d}")),
            "every field large": result(exit_code=1, stdout="o" * big, stderr="\x00" * big, content="\U0001f600" * big, entries=entries(20_000), error="e" * big, truncated=False),
            "one huge field, the rest small": result(stdout="o" * (big * 3), stderr="warn", error="exit 1"),
            "a huge error": result(status="failed", error="\x07" * big),
        }

    def test_worst_cases_fit_and_stay_valid(self) -> None:
        for name, original in self.worst_cases(self.SMALL).items():
            with self.subTest(name):
                before = copy.deepcopy(original)
                fitted = fit_result(original, self.SMALL)
                self.assertFits(fitted, self.SMALL)
                self.assertIs(fitted["truncated"], True)
                self.assertEqual(original, before, "the caller's result is left alone") if "surrogate" not in name else None
                for field in ("action_id", "status", "decision", "duration_ms", "exit_code"):
                    self.assertEqual(fitted.get(field), original.get(field))

    def test_worst_cases_at_the_contract_limit(self) -> None:
        limit = LIMITS["maxMessageBytes"]
        rows = {name: self.worst_cases(limit)[name] for name in ("control characters (6 bytes each in JSON)", "4-byte UTF-8", "every field large")}
        rows["200k entries with long names"] = result(entries=entries(200_000, "a-rather-long-file-name-{:06d}.txt"))
        for name, original in rows.items():
            with self.subTest(name):
                fitted = fit_result(original, limit)
                self.assertFits(fitted, limit)
                self.assertGreater(len(encode_message(fitted)), limit * 0.95, "the room is used, not wasted")

    def test_every_cut_carries_a_visible_marker(self) -> None:
        fitted = fit_result(result(stdout="o" * 50_000, stderr="e" * 50_000, content="c" * 50_000, error="x" * 50_000, entries=entries(5_000)), self.SMALL)
        for field in ("stdout", "stderr", "content", "error"):
            self.assertTrue(fitted[field].endswith(marker(self.SMALL)), field)
        last = fitted["entries"][-1]
        self.assertIn("truncated by the runtime", last["name"])
        self.assertIn("/", last["name"], "a name no real file can have")
        self.assertEqual(fitted["entries"][:-1], entries(len(fitted["entries"]) - 1))
        omitted = int(last["name"].split("; ")[1].split("/")[0])
        self.assertEqual(omitted + len(fitted["entries"]) - 1, 5_000)

    def test_the_largest_field_is_cut_first(self) -> None:
        fitted = fit_result(result(stdout="o" * 100_000, stderr="small stderr", error="exit status 1"), self.SMALL)
        self.assertEqual(fitted["stderr"], "small stderr")
        self.assertEqual(fitted["error"], "exit status 1")
        self.assertTrue(fitted["stdout"].startswith("o" * 1000))
        self.assertTrue(fitted["stdout"].endswith(marker(self.SMALL)))

    def test_a_result_that_fits_is_unchanged(self) -> None:
        rows = {
            "small": result(stdout="hello", truncated=False),
            "exactly at the limit": None,
        }
        base = result(stdout="")
        rows["exactly at the limit"] = result(stdout="a" * (self.SMALL - len(encode_message(base))))
        for name, original in rows.items():
            with self.subTest(name):
                self.assertLessEqual(len(encode_message(original)), self.SMALL)
                self.assertEqual(fit_result(original, self.SMALL), original)

    def test_one_byte_over_is_cut(self) -> None:
        base = result(stdout="")
        original = result(stdout="a" * (self.SMALL - len(encode_message(base)) + 1))
        fitted = fit_result(original, self.SMALL)
        self.assertFits(fitted, self.SMALL)
        self.assertTrue(fitted["truncated"])

    def test_surrogates_are_replaced_even_when_it_fits(self) -> None:
        fitted = fit_result(result(entries=[{"name": "bad-\udcff", "type": "file", "size": 1}]), self.SMALL)
        self.assertEqual(fitted["entries"][0]["name"], "bad-\ufffd")
        check(fitted, "action-result")

    def test_limits_too_small_for_the_fixed_part(self) -> None:
        for max_bytes in (0, 100, 300):
            with self.subTest(max_bytes=max_bytes), self.assertRaises(ValueError):
                fit_result(result(stdout="o" * 1000, stderr="e" * 1000, error="x" * 1000), max_bytes)

    def test_marker_texts(self) -> None:
        self.assertEqual(marker(8), "\n[truncated by the runtime: result exceeded 8 bytes]")
        self.assertEqual(json.loads(json.dumps(entries_marker(8, 3, 10)))["type"], "other")


if __name__ == "__main__":
    unittest.main()
