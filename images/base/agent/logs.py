"""Structured logs: one JSON object per line on stdout, secrets redacted, never raising.

Everything a line carries goes through one path: turned into plain JSON
values (whatever the caller passed), redacted, and only then capped in
size. The order matters: a secret cut in half by a cap made before redaction
no longer matches the secret, and its first half would reach the log. So
callers pass whole values and leave the capping to the logger.

Redacted: every secret the logger knows (also JSON-escaped and URL-quoted, as
it appears inside a body or a URL), the user-info of any URL
(`scheme://user:pass@host`), the credentials after `Bearer`/`Basic` and after
an `Authorization:` header name, and the value of any field whose key names a
credential (authorization, cookie, password, token, secret, api key).

A logger must not be what brings the runtime down: values that cannot be
printed, lone surrogates, cycles, huge numbers and a broken stream are all
absorbed. Uncaught exceptions go through `exception` too once
`install_excepthooks` ran, so no unredacted traceback reaches stderr.
"""

from __future__ import annotations

import json
import math
import re
import sys
import threading
import traceback
from datetime import datetime, timezone
from typing import Any, Iterable, TextIO
from urllib.parse import quote, quote_plus

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
REDACTED = "[REDACTED]"

MAX_STRING_CHARS = 2000  # any one string in a line, after redaction
MAX_KEY_CHARS = 200
MAX_TRACEBACK_CHARS = 16000  # a traceback keeps its end: the frame that raised and the error
MAX_ITEMS = 200  # entries of one list or object
MAX_DEPTH = 8  # nesting of fields (the contract refuses messages nested deeper than 32)

# Bounded repetitions and excluded quotes keep these linear on multi-megabyte strings and inside JSON or repr text.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,31}://)[^/?#\s\"'<>]*@")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"'<>,;]+")
_AUTHORIZATION = re.compile(r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)((?:basic|bearer|digest|negotiate|ntlm|token|apikey|aws4-hmac-sha256)\s+)?[^\s\"'<>,;]+")
_QUERY_CREDENTIAL = re.compile(r"(?i)([?&;](?:access_token|token|password|passwd|api_key|apikey|secret|sig|signature)=)[^&#\s\"'<>]+")
_CREDENTIAL_KEY = re.compile(r"(?i)^(?:(?:proxy-)?authorization|(?:set-)?cookie|.*(?:^|[_-])(?:password|passwd|token|secret|api[_-]?key))$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


class JsonLogger:
    def __init__(self, task_id: str | None, level: str = "info", secrets: Iterable[str] | None = None, stream: TextIO | None = None):
        if level not in LEVELS:
            raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
        self.threshold = LEVELS[level]
        # Reentrant: a signal handler that logs runs on the main thread, possibly while it holds this lock.
        self._lock = threading.RLock()
        self._secrets: set[str] = set()
        self._secret_pattern: re.Pattern[str] | None = None
        for secret in secrets or ():
            self.add_secret(secret)
        self.task_id = None if task_id is None else self._text(task_id, MAX_KEY_CHARS)
        self._stream = stream or sys.stdout

    # -- secrets -----------------------------------------------------------
    def add_secret(self, value: str) -> None:
        """Redacts `value` from every later line (a secret learned after the logger was made, e.g. read from stdin)."""
        if not isinstance(value, str) or not value:
            return
        with self._lock:
            self._secrets.update(_encodings(value))
            # Longest first, so a secret that contains another is redacted whole.
            alternatives = sorted(self._secrets, key=len, reverse=True)
            self._secret_pattern = re.compile("|".join(map(re.escape, alternatives)))

    def redact(self, text: str) -> str:
        """`text` with known secrets, URL user-info and credentials replaced by [REDACTED]."""
        if self._secret_pattern is not None:
            text = self._secret_pattern.sub(REDACTED, text)
        text = _URL_USERINFO.sub(rf"\1{REDACTED}@", text)
        text = _BEARER.sub(rf"\1{REDACTED}", text)
        text = _AUTHORIZATION.sub(lambda match: match.group(1) + (match.group(2) or "") + REDACTED, text)
        return _QUERY_CREDENTIAL.sub(rf"\1{REDACTED}", text)

    # -- values --------------------------------------------------------------
    def _text(self, value: Any, limit: int = MAX_STRING_CHARS, keep_end: bool = False) -> str:
        """Any value as a redacted string of at most `limit` characters (plus the cut note)."""
        text = self.redact(_printable(value))
        if len(text) <= limit:
            return text
        cut = len(text) - limit
        return f"[{cut} characters cut]..." + text[-limit:] if keep_end else text[:limit] + f"...[{cut} characters cut]"

    def _clean(self, value: Any, depth: int = 0) -> Any:
        """A plain JSON value (dict/list/str/int/float/bool/None) standing for `value`, redacted and capped."""
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            try:
                number = int(value)
            except Exception:
                return self._text(value)
            return number if abs(number) < 2**63 else self._text(f"<int of {number.bit_length()} bits>")
        if isinstance(value, float):
            try:
                number = float(value)
            except Exception:
                return self._text(value)
            return number if math.isfinite(number) else repr(number)
        if isinstance(value, (str, bytes, bytearray)):
            return self._text(value)
        if isinstance(value, (dict, list, tuple, set, frozenset)):
            if depth >= MAX_DEPTH:
                return f"<{type(value).__name__} nested too deep>"
            if isinstance(value, dict):
                return self._clean_object(value, depth)
            items = list(value) if not isinstance(value, (set, frozenset)) else sorted(value, key=_sort_key)
            cleaned = [self._clean(item, depth + 1) for item in items[:MAX_ITEMS]]
            if len(items) > MAX_ITEMS:
                cleaned.append(f"...[{len(items) - MAX_ITEMS} more items cut]")
            return cleaned
        return self._text(value)

    def _clean_object(self, value: dict[Any, Any], depth: int) -> dict[str, Any]:
        cleaned: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index == MAX_ITEMS:
                cleaned["..."] = f"[{len(value) - MAX_ITEMS} more fields cut]"
                break
            name = self._text(key, MAX_KEY_CHARS)
            credential = _CREDENTIAL_KEY.match(name) and not (item is None or isinstance(item, str) and not item)
            cleaned[name] = REDACTED if credential else self._clean(item, depth + 1)
        return cleaned

    # -- lines ---------------------------------------------------------------
    def log(self, level: str, event: str, **fields: Any) -> None:
        if not (isinstance(level, str) and level in LEVELS):
            fields["unknown_level"] = level
            level = "error"
        if LEVELS[level] < self.threshold:
            return
        try:
            line = self._line(level, event, fields)
        except Exception as error:  # a value defeated _clean: say so rather than lose the line
            line = self._line(level, event, {"log_error": f"fields could not be logged: {type(error).__name__}"})
        with self._lock:
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except Exception:  # nowhere left to report to; the runtime goes on
                pass

    def _line(self, level: str, event: Any, fields: dict[str, Any]) -> str:
        line = {
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": level,
            "task_id": self.task_id,
            "event": self._text(event, MAX_KEY_CHARS) or "unnamed_event",
            "fields": self._clean_object(fields, 0),
        }
        # JSON leaves these unescaped, yet line readers (str.splitlines among them) break lines at them.
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")).translate(_LINE_BREAKS)

    def debug(self, event: str, **fields: Any) -> None:
        self.log("debug", event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        self.log("info", event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        self.log("warning", event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        self.log("error", event, **fields)

    # -- exceptions ------------------------------------------------------------
    def exception(self, event: str, error: BaseException, **fields: Any) -> None:
        """Logs `error` at level error with its redacted traceback (chained causes included) as the `traceback` field."""
        if isinstance(error, BaseException):
            self._log_exception(event, type(error), error, error.__traceback__, fields)
        else:
            self.log("error", event, error=error, **fields)

    def _log_exception(self, event: str, kind: type[BaseException], error: BaseException | None, trace: Any, fields: dict[str, Any]) -> None:
        try:
            lines = traceback.format_exception(kind, error, trace)
        except Exception:
            lines = [f"{getattr(kind, '__name__', 'exception')} (its traceback could not be formatted)"]
        name = _printable(getattr(kind, "__name__", "exception"))
        message = _printable(error) if error is not None else ""
        summary = f"{name}: {message}" if message else name
        fields = {**fields, "error": summary, "traceback": self._text("".join(lines), MAX_TRACEBACK_CHARS, keep_end=True)}
        self.log("error", event, **fields)

    def install_excepthooks(self) -> None:
        """Routes uncaught exceptions (main thread, other threads, unraisable ones) through `exception`: redacted, on stdout, one line."""

        def main_hook(kind: type[BaseException], error: BaseException, trace: Any) -> None:
            self._log_exception("uncaught_exception", kind, error, trace, {"thread": threading.current_thread().name})

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            if args.exc_type is SystemExit:  # what threading's own hook does: a thread may exit that way quietly
                return
            name = args.thread.name if args.thread is not None else None
            self._log_exception("thread_crashed", args.exc_type, args.exc_value, args.exc_traceback, {"thread": name})

        def unraisable_hook(unraisable: Any) -> None:
            where = unraisable.err_msg or "Exception ignored"
            self._log_exception("unraisable_exception", unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback, {"where": where, "object": unraisable.object})

        sys.excepthook = main_hook
        threading.excepthook = thread_hook
        sys.unraisablehook = unraisable_hook


def _encodings(secret: str) -> set[str]:
    """The forms a secret takes in text: as is, JSON-escaped, repr'd (str(KeyError(s)) is a repr), as bytes repr'd,
    URL-quoted (both hex cases), and with lone surrogates as U+FFFD (as `_printable` leaves them)."""
    forms = {secret, _SURROGATE.sub("\ufffd", secret), json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1], ascii(secret)[1:-1]}
    try:  # a secret with lone surrogates has no UTF-8 bytes, hence no bytes or URL-quoted form
        forms.add(repr(secret.encode("utf-8", "surrogateescape"))[2:-1])
        for quoted in (quote(secret, safe=""), quote_plus(secret, safe="")):
            forms.update({quoted, re.sub(r"%[0-9A-F]{2}", lambda match: match.group().lower(), quoted)})
    except UnicodeEncodeError:
        pass
    return {form for form in forms if form}


def _printable(value: Any) -> str:
    """str(value) without lone surrogates, whatever `value` is; never raises."""
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("utf-8", "backslashreplace")
    elif isinstance(value, str):
        text = str.__str__(value)
    else:
        text = None
        for render in (str, repr):
            try:
                text = render(value)
                if isinstance(text, str):
                    text = str.__str__(text)
                    break
            except Exception:
                text = None
        if not isinstance(text, str):
            try:
                text = f"<unprintable {type(value).__name__}>"
            except Exception:
                text = "<unprintable>"
    return _SURROGATE.sub("\ufffd", text)


def _sort_key(item: Any) -> str:
    return _printable(item)
