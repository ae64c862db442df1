import contextlib
import io
import json
import re
import sys
import threading
import unittest
from typing import Any
from urllib.parse import quote, quote_plus

from agent.contract_schema import parse_message, validate
from agent.logs import MAX_STRING_CHARS, REDACTED, JsonLogger

SECRET = 'tok-S3cr3t/Value+with=odd&chars"\\\u00e9'  # a quote, a backslash and a non-ASCII letter: JSON escapes all three


def lines_of(out: io.StringIO) -> list[dict[str, Any]]:
    """Every line parsed the strict way (UTF-8, no NaN, no lone surrogates, bounded depth) and valid as a log line."""
    parsed = []
    for line in out.getvalue().splitlines():
        value = parse_message(line.encode("utf-8"))
        validate(value, "log-line")
        parsed.append(value)
    return parsed


class JsonLoggerTest(unittest.TestCase):
    def test_one_contract_log_line_per_event(self) -> None:
        out = io.StringIO()
        logger = JsonLogger("task-1", "info", stream=out)
        logger.info("registered", pid=7)
        logger.debug("hidden")
        logger.error("failed", error="boom", nested={"list": [1, "two"]})
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 2)
        for line in lines:
            validate(json.loads(line), "log-line")
        first = json.loads(lines[0])
        self.assertEqual((first["level"], first["task_id"], first["event"], first["fields"]), ("info", "task-1", "registered", {"pid": 7}))

    def test_secrets_never_appear(self) -> None:
        out = io.StringIO()
        logger = JsonLogger("task-1", secrets=["tok-123"], stream=out)
        logger.warning("request_failed", url="http://cp/?token=tok-123", headers={"Authorization": "Bearer tok-123"}, items=["tok-123"])
        self.assertNotIn("tok-123", out.getvalue())
        self.assertIn("[REDACTED]", out.getvalue())


class RedactionTest(unittest.TestCase):
    """A known secret, in any field and any common encoding, and credentials of any shape never reach the output."""

    def log(self, secrets: list[str] | None = None, **fields: Any) -> str:
        out = io.StringIO()
        JsonLogger("task-1", secrets=[SECRET] if secrets is None else secrets, stream=out).warning("event", **fields)
        lines_of(out)
        return out.getvalue()

    def test_known_secret_wherever_it_is(self) -> None:
        class Holder:
            def __str__(self) -> str:
                return f"holder of {SECRET}"

        rows: dict[str, dict[str, Any]] = {
            "plain field": {"x": SECRET},
            "inside text": {"x": f"token was {SECRET}, sadly"},
            "nested object": {"x": {"a": {"b": [{"c": SECRET}]}}},
            "list and tuple": {"x": [1, (SECRET,)]},
            "set": {"x": {SECRET}},
            "dict key": {"x": {f"key-{SECRET}": 1}},
            "bytes": {"x": SECRET.encode()},
            "object's str": {"x": Holder()},
            "exception message": {"x": ValueError(f"bad {SECRET}")},
            "KeyError (its str is a repr)": {"x": KeyError(SECRET)},
            "repr in text": {"x": f"got {SECRET!r}"},
            "ascii() in text": {"x": f"got {ascii(SECRET)}"},
            "bytes repr in text": {"x": f"got {SECRET.encode()!r}"},
            "JSON-escaped (in a body)": {"x": json.dumps({"t": SECRET})},
            "URL-quoted": {"x": "https://cp/cb?t=" + quote(SECRET, safe="")},
            "URL-quoted, lower-case hex": {"x": "https://cp/cb?t=" + re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(SECRET, safe=""))},
            "form-encoded": {"x": "t=" + quote_plus(SECRET)},
            "JSON-escaped, non-ASCII kept": {"x": json.dumps({"t": SECRET}, ensure_ascii=False)},
            "twice in one string": {"x": SECRET + SECRET},
            "split across the old 200-character cut": {"answer": "a" * 195 + SECRET},
            "split across the logger's own cap": {"answer": "a" * (MAX_STRING_CHARS - 5) + SECRET},
        }
        for name, fields in rows.items():
            with self.subTest(name):
                text = self.log(**fields)
                self.assertNotIn(SECRET, text)
                self.assertNotIn(SECRET[:12], text, "no recognisable part of it either")
                self.assertNotIn("S3cr3t", text)

    def test_secret_added_after_construction(self) -> None:
        out = io.StringIO()
        logger = JsonLogger("task-1", stream=out)
        logger.add_secret("late-secret-42")
        logger.add_secret("")  # ignored, not "redact everything"
        logger.info("event", x="the late-secret-42 arrived")
        self.assertNotIn("late-secret-42", out.getvalue())
        self.assertIn("the [REDACTED] arrived", out.getvalue())

    def test_a_secret_that_is_not_valid_unicode(self) -> None:
        secret = "env-\udcff-token"  # os.environ holds undecodable bytes as lone surrogates
        text = self.log(secrets=[secret], x=f"a {secret} b", y=secret.encode("utf-8", "surrogateescape"))
        self.assertNotIn("-token", text)

    def test_a_secret_containing_another_is_redacted_whole(self) -> None:
        text = self.log(secrets=["abc", "abcdef-long"], x="abcdef-long")
        self.assertNotIn("def-long", text)

    def test_credentials_without_a_known_secret(self) -> None:
        rows = {
            "URL user-info": ("https://user:pa55word@host:8443/path", "pa55word", "https://[REDACTED]@host:8443/path"),
            "URL user-info, @ in the password": ("postgres://u:p@ss@db/x", "p@ss", "postgres://[REDACTED]@db/x"),
            "URL user-info, upper-case scheme": ("HTTP://admin:hunter2@cp", "hunter2", "HTTP://[REDACTED]@cp"),
            "URL user only": ("git+ssh://deploykey123@github.com/x", "deploykey123", "git+ssh://[REDACTED]@github.com/x"),
            "URL inside text and quotes": ("fetch 'http://a:b-secret@h/' failed", "b-secret", "'http://[REDACTED]@h/'"),
            "two URLs": ("http://a:one1@x and http://b:two2@y", "two2", "http://[REDACTED]@y"),
            "Authorization header line": ("Authorization: Bearer abc.def.ghi", "abc.def", "Authorization: Bearer [REDACTED]"),
            "Bearer alone": ("sent bearer xyz-987", "xyz-987", "bearer [REDACTED]"),
            "Basic credentials": ("authorization=Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "authorization=Basic [REDACTED]"),
            "Authorization in a repr'd dict": ("{'Authorization': 'Token t0k3n'}", "t0k3n", "[REDACTED]"),
            "token in a query string": ("GET /x?a=1&access_token=qq-111&b=2", "qq-111", "access_token=[REDACTED]&b=2"),
        }
        for name, (value, leaked, expected) in rows.items():
            with self.subTest(name):
                text = self.log(secrets=[], x=value)
                self.assertNotIn(leaked, text)
                self.assertIn(expected, json.loads(text)["fields"]["x"])

    def test_credential_field_names(self) -> None:
        text = self.log(secrets=[], headers={"Authorization": "opaque", "Cookie": "sid=1", "X-Api-Key": "k1"}, password="pw", client_secret="cs", refresh_token="rt", note="kept")
        fields = json.loads(text)["fields"]
        self.assertEqual(fields["headers"], {"Authorization": REDACTED, "Cookie": REDACTED, "X-Api-Key": REDACTED})
        self.assertEqual((fields["password"], fields["client_secret"], fields["refresh_token"], fields["note"]), (REDACTED, REDACTED, REDACTED, "kept"))


class CapTest(unittest.TestCase):
    def test_strings_are_capped_after_redaction(self) -> None:
        out = io.StringIO()
        logger = JsonLogger("task-1", secrets=[SECRET], stream=out)
        logger.info("event", big="x" * 100_000, key={"k" * 10_000: 1}, items=list(range(10_000)), event_like="e" * 5)
        fields = lines_of(out)[0]["fields"]
        self.assertLessEqual(len(fields["big"]), MAX_STRING_CHARS + 40)
        self.assertIn("characters cut", fields["big"])
        self.assertLessEqual(max(len(k) for k in fields["key"]), 300)
        self.assertLessEqual(len(fields["items"]), 201)
        self.assertLess(len(out.getvalue()), 20_000)


class OddValuesTest(unittest.TestCase):
    """Logging never raises, whatever it is given, and every line stays a valid, strictly parseable log line."""

    def test_odd_values(self) -> None:
        class BrokenStr:
            def __str__(self) -> str:
                raise RuntimeError("no str")

        class BrokenBoth:
            def __str__(self) -> str:
                raise RuntimeError("no str")

            def __repr__(self) -> str:
                raise RuntimeError("no repr")

        class StrReturnsNonStr:
            def __str__(self) -> Any:
                return 42

            def __repr__(self) -> Any:
                return None

        class WeirdInt(int):
            def __repr__(self) -> str:
                raise RuntimeError("no repr")

        cyclic: dict[str, Any] = {}
        cyclic["self"] = cyclic
        deep: Any = "bottom"
        for _ in range(10_000):
            deep = [deep]
        rows: dict[str, Any] = {
            "bytes": b"\xff\xfe raw",
            "bytearray": bytearray(b"abc"),
            "failing __str__": BrokenStr(),
            "failing __str__ and __repr__": BrokenBoth(),
            "__str__ returning a non-string": StrReturnsNonStr(),
            "int subclass with failing __repr__": WeirdInt(5),
            "lone surrogate": "a\ud800b",
            "NaN": float("nan"),
            "Infinity": float("-inf"),
            "huge int": 10**5000,
            "cycle": cyclic,
            "10000 deep": deep,
            "non-string keys": {None: 1, (1, 2): 2, 3.5: 3, b"k": 4, BrokenBoth(): 5},
            "surrogate key": {"\udcff": 1},
            "type object": int,
            "exception": KeyError("\ud800"),
            "control characters and line breaks": "\x00\x1b[31mred\u2028\u2029\x85\x1c\v\f\r",
        }
        for name, value in rows.items():
            with self.subTest(name):
                out = io.StringIO()
                JsonLogger("task-1", secrets=[SECRET], stream=out).info("event", value=value)
                self.assertEqual(len(lines_of(out)), 1)

    def test_odd_event_task_and_level(self) -> None:
        out = io.StringIO()
        logger = JsonLogger("task-\ud800" + SECRET, secrets=[SECRET], stream=out)
        logger.log("fatal", "")  # an unknown level is logged as error, an empty event gets a name
        logger.info("\udcff" * 5)
        lines = lines_of(out)
        self.assertEqual((lines[0]["level"], lines[0]["event"]), ("error", "unnamed_event"))
        self.assertNotIn(SECRET, out.getvalue())

    def test_a_broken_stream_does_not_raise(self) -> None:
        class Broken(io.StringIO):
            def write(self, _text: str) -> int:
                raise BrokenPipeError("gone")

        JsonLogger("task-1", stream=Broken()).error("event", x=1)

    def test_logging_from_a_signal_handler_while_the_lock_is_held_does_not_deadlock(self) -> None:
        out = io.StringIO()
        logger = JsonLogger("task-1", stream=out)

        def handler_while_writing() -> None:
            with logger._lock:  # what a signal handler interrupting a write looks like: same thread, lock held
                logger.info("stop_requested")

        thread = threading.Thread(target=handler_while_writing, daemon=True)
        thread.start()
        thread.join(2)
        self.assertFalse(thread.is_alive(), "deadlocked")
        self.assertEqual(len(lines_of(out)), 1)


class ExceptionLoggingTest(unittest.TestCase):
    def setUp(self) -> None:
        hooks = (sys.excepthook, threading.excepthook, sys.unraisablehook)

        def restore() -> None:
            sys.excepthook, threading.excepthook, sys.unraisablehook = hooks

        self.addCleanup(restore)

    def raise_chained(self) -> None:
        try:
            raise KeyError(f"inner {SECRET}")
        except KeyError as inner:
            raise RuntimeError(f"outer http://u:pw-{SECRET[:3]}@cp/") from inner

    def test_exception_logs_a_redacted_traceback(self) -> None:
        out = io.StringIO()
        logger = JsonLogger("task-1", secrets=[SECRET], stream=out)
        try:
            self.raise_chained()
        except RuntimeError as error:
            logger.exception("runtime_crashed", error, phase="loop")
        line = lines_of(out)[0]
        self.assertEqual(line["level"], "error")
        self.assertEqual(line["fields"]["phase"], "loop")
        self.assertIn("RuntimeError", line["fields"]["error"])
        self.assertIn("raise_chained", line["fields"]["traceback"])
        self.assertIn("KeyError", line["fields"]["traceback"], "the chained cause is there too")
        self.assertNotIn(SECRET, out.getvalue())
        self.assertNotIn("pw-", out.getvalue())

    def test_exceptions_that_resist_printing(self) -> None:
        class Nasty(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no")

        rows = {"failing __str__": Nasty(), "surrogate message": ValueError("\udcff" + SECRET), "not an exception": SECRET, "huge message": ValueError("m" * 100_000)}
        for name, error in rows.items():
            with self.subTest(name):
                out = io.StringIO()
                JsonLogger("task-1", secrets=[SECRET], stream=out).exception("event", error)  # type: ignore[arg-type]
                self.assertEqual(len(lines_of(out)), 1)
                self.assertNotIn(SECRET, out.getvalue())

    def test_uncaught_exceptions_are_logged_redacted_and_stderr_stays_clean(self) -> None:
        out, err = io.StringIO(), io.StringIO()
        logger = JsonLogger("task-1", secrets=[SECRET], stream=out)
        logger.install_excepthooks()
        with contextlib.redirect_stderr(err):
            try:
                self.raise_chained()
            except RuntimeError:
                sys.excepthook(*sys.exc_info())  # what the interpreter does with an uncaught exception
            thread = threading.Thread(target=self.raise_chained, name="heartbeat")
            thread.start()
            thread.join()
            exiting = threading.Thread(target=sys.exit)
            exiting.start()
            exiting.join()
        self.assertEqual(err.getvalue(), "")
        lines = lines_of(out)
        self.assertEqual([line["event"] for line in lines], ["uncaught_exception", "thread_crashed"])
        self.assertEqual(lines[1]["fields"]["thread"], "heartbeat")
        self.assertNotIn(SECRET, out.getvalue())
        self.assertNotIn("pw-", out.getvalue())

    def test_unraisable_exceptions_are_routed_too(self) -> None:
        out, err = io.StringIO(), io.StringIO()
        logger = JsonLogger("task-1", secrets=[SECRET], stream=out)
        logger.install_excepthooks()

        class Leaky:
            def __del__(self) -> None:
                raise ValueError(f"in __del__ {SECRET}")

        with contextlib.redirect_stderr(err):
            Leaky()
        self.assertEqual(err.getvalue(), "")
        self.assertEqual(lines_of(out)[0]["event"], "unraisable_exception")
        self.assertNotIn(SECRET, out.getvalue())


if __name__ == "__main__":
    unittest.main()
