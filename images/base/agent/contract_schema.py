"""The agent contract's rules for messages, checked with the standard library only.

Everything the control plane sends is hostile until proven otherwise: the
runtime turns bytes into a value with `parse_message` and holds that value to
the message's JSON Schema with `check` before acting on it. Both raise
`ContractViolation`, a ValueError whose text is one line, safe to log and
bounded in size, so a bad message becomes a refused message, never a crash or
a stall of the loop.

The JSON Schemas and `limits.json` beside this file are generated from the zod
definitions in libs/agent-contract, so both sides enforce the same rules; where
Python and JavaScript read the same text differently (numbers, patterns,
date-times) this module reads it as JavaScript does, and
tests/contract_corpus.json, with the control plane's verdicts on thousands of
messages, holds it to that (tests/test_contract_corpus.py).
The validator knows exactly the keywords those files use and refuses to load a
schema with any other keyword: a keyword it silently ignored would be a rule
it silently did not enforce.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

CONTRACT = Path(__file__).resolve().parent / "contract"

# Sizes both sides enforce: maxMessageBytes, maxNestingDepth, maxOutputBytes, maxContentChars, maxArgChars, maxArgs.
LIMITS: dict[str, int] = json.loads((CONTRACT / "limits.json").read_text(encoding="utf-8"))

# Keywords the generated schemas use, all of which `errors` enforces (or, for annotations, knowingly ignores).
KEYWORDS = frozenset(
    {
        "$schema", "description", "default",  # annotations
        "type", "const", "enum", "oneOf", "anyOf",
        "minLength", "maxLength", "pattern", "format",
        "minimum", "maximum", "exclusiveMinimum",
        "items", "prefixItems", "minItems", "maxItems",
        "properties", "required", "additionalProperties", "propertyNames",
    }
)

_PROBLEMS_SHOWN = 5  # a reason names at most this many problems: one line, bounded, still useful
_VALUE_SHOWN = 60  # characters of an offending value quoted in a reason
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's Number.MAX_SAFE_INTEGER: the contract's integers are within it
# What ECMAScript's \s matches (ECMA-262 WhiteSpace and LineTerminator): more than Python's ASCII \s.
_JS_SPACE = "\t\n\v\f\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_DATE_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?Z", re.ASCII)


class ContractViolation(ValueError):
    """A message breaks the contract. Its text is a one-line reason, bounded in size."""


# -- reading messages ------------------------------------------------------

class Flaw:
    """Stands, in a value `parse_answer` returns, for what the wire rules refuse (a duplicate key's value, an out-of-range number).

    It is no JSON type, so `check` refuses whatever holds it, with `reason`.
    """

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return f"<{self.reason}>"


def parse_answer(raw: bytes) -> Any:
    """Parses an answer of the control plane: like `parse_message`, but the rules for values are left to `check`.

    Refused here only what cannot be an answer at all: over maxMessageBytes,
    not UTF-8, not JSON (NaN and Infinity literals included), or nested beyond
    what the parser can follow. A lone surrogate, a duplicate key, a number
    out of range or nesting deeper than maxNestingDepth stays in the value
    (the last two, and the later value of a duplicate key, as a `Flaw`), and
    `check` refuses the part of the answer that holds it, with the reason: an
    action holding one is a rejected action, reported as such, not an answer
    that never arrived.
    """
    return _parse(raw, defer=True)


def parse_message(raw: bytes) -> Any:
    """Parses one message body: UTF-8 JSON within the contract's size and nesting limits.

    Refused (ContractViolation): bodies over maxMessageBytes, anything but
    UTF-8 (json.loads would otherwise guess UTF-16/32), NaN/Infinity literals
    and numbers that overflow to infinity (not JSON, and they poison every
    comparison), lone surrogates (json.loads accepts "\\ud800"; no UTF-8
    encoder does, so they would crash whoever writes the value out), duplicate
    keys (parsers disagree on which one wins), and nesting deeper than
    maxNestingDepth (the C parser recurses; RecursionError is caught too).

    Numbers are read as JavaScript reads them: an integer too large for a
    double is out of range, and a number with a fraction or exponent that is
    an integer within the safe range (1.0, 1e2, -0.0) is that integer (JSON
    Schema's reading too), so the runtime never sees 1.0 where it counts bytes.
    """
    return _parse(raw, defer=False)


def _parse(raw: bytes, defer: bool) -> Any:
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise TypeError(f"a message is bytes, not {type(raw).__name__}")
    size, limit = len(raw), LIMITS["maxMessageBytes"]
    if size > limit:
        raise ContractViolation(f"message is {size} bytes, over the contract's {limit}")
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ContractViolation(f"message is not UTF-8 (invalid byte at offset {error.start})") from None
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_deferred(_float, defer),
            parse_int=_deferred(_int, defer),
            object_pairs_hook=_deferred(_unique_keys, defer),
        )
    except RecursionError:
        raise ContractViolation(f"message nests deeper than {LIMITS['maxNestingDepth']} levels") from None
    except ContractViolation:
        raise
    except ValueError as error:  # JSONDecodeError, or an integer of more than 4300 digits
        raise ContractViolation(f"message is not JSON: {_one_line(str(error), 200)}") from None
    if not defer:
        _check_tree(value)
    return value


def _deferred(read: Any, defer: bool) -> Any:
    """`read` as a json.loads hook: its ContractViolation raised, or with defer=True kept in the value as a Flaw."""
    if not defer:
        return read

    def hook(item: Any) -> Any:
        try:
            return read(item)
        except ContractViolation as violation:
            if isinstance(item, list):  # an object with a key twice: each later value becomes the Flaw
                return _flag_duplicates(item, str(violation))
            return Flaw(str(violation))

    return hook


def _flag_duplicates(pairs: list[tuple[str, Any]], reason: str) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for key, item in pairs:
        value[key] = Flaw(f"key {_show(key)} appears twice in one object") if key in value else item
    return value


def _refuse_constant(name: str) -> Any:
    raise ContractViolation(f"{name} is not a JSON number")


def _float(text: str) -> float | int:
    value = float(text)
    if not math.isfinite(value):
        raise ContractViolation(f"number {_show(text[:40])} is out of range")
    if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    return value


def _int(text: str) -> int:
    try:
        value = int(text)
        float(value)  # JavaScript reads every number as a double: one that overflows it is out of range
    except (OverflowError, ValueError):  # ValueError: over the 4300 digits int() reads, far beyond a double
        raise ContractViolation(f"number {_show(text[:40])} is out of range") from None
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ContractViolation(f"key {_show(duplicate)} appears twice in one object")
    return value


def check_tree(value: Any) -> None:
    """Raises ContractViolation when a value breaks the wire rules `parse_message` enforces (see `parse_answer`)."""
    _check_tree(value)


def _check_tree(value: Any) -> None:
    """Walks a value without recursion: nesting depth, finite numbers, strings (and keys) that UTF-8 can encode.

    The walk is done without tracking paths (fast on 100k-entry listings); only
    a value found wanting is walked again, with paths, to say where.
    """
    problem = _tree_problem(value, with_paths=False)
    if problem is not None:
        raise ContractViolation(_tree_problem(value, with_paths=True) or problem)


def _tree_problem(value: Any, with_paths: bool) -> str | None:
    limit = LIMITS["maxNestingDepth"]
    stack: list[tuple[Any, int, str]] = [(value, 0, "$")]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, (dict, list)):
            if depth + 1 > limit:
                return f"{_short(path)}: nests deeper than {limit} levels"
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        return f"{_short(path)}: key {_show(key)} is not a string"
                    if not _encodable(key):
                        return f"{_short(path)}: key {_show(key)} holds a lone surrogate"
                    stack.append((child, depth + 1, f"{path}.{_show_key(key)}" if with_paths else path))
            else:
                stack.extend((child, depth + 1, f"{path}[{index}]" if with_paths else path) for index, child in enumerate(item))
        elif isinstance(item, str):
            if not _encodable(item):
                return f"{_short(path)}: string holds a lone surrogate"
        elif isinstance(item, float) and not math.isfinite(item):
            return f"{_short(path)}: {item!r} is not a finite number"
        elif isinstance(item, Flaw):
            return f"{_short(path)}: {item.reason}"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- holding values to a schema ---------------------------------------------

def schema(name: str) -> dict[str, Any]:
    """A fresh copy of the named schema (contract/<name>.schema.json)."""
    return json.loads((CONTRACT / f"{name}.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _schema(name: str) -> dict[str, Any]:
    """The named schema, loaded once and checked to use only KEYWORDS. Never mutated."""
    loaded = schema(name)
    _known_keywords(loaded, name)
    return loaded


def _known_keywords(node: dict[str, Any], where: str) -> None:
    unknown = set(node) - KEYWORDS
    if unknown:
        raise RuntimeError(f"{where} uses JSON Schema keywords this validator does not enforce: {sorted(unknown)}")
    for key, child in node.get("properties", {}).items():
        _known_keywords(child, f"{where}.properties.{key}")
    for keyword in ("items", "additionalProperties", "propertyNames"):
        if isinstance(node.get(keyword), dict):
            _known_keywords(node[keyword], f"{where}.{keyword}")
    for keyword in ("oneOf", "anyOf", "prefixItems"):
        for index, option in enumerate(node.get(keyword, [])):
            _known_keywords(option, f"{where}.{keyword}[{index}]")


def check(value: Any, name: str) -> None:
    """Raises ContractViolation unless `value` is a valid <name> message.

    Stricter than a plain JSON Schema reading where Python and JavaScript
    differ: booleans are never integers or numbers (True == 1 in Python),
    numbers are finite, const/enum compare types too, a pattern means what
    it means in JavaScript (see `_pattern`), and a date-time is what zod's
    `datetime()` accepts (see `_is_date_time`).
    """
    _check_tree(value)
    problems = errors(value, _schema(name))
    if problems:
        shown = "; ".join(problems[:_PROBLEMS_SHOWN])
        more = f" (and {len(problems) - _PROBLEMS_SHOWN} more)" if len(problems) > _PROBLEMS_SHOWN else ""
        raise ContractViolation(_one_line(f"not a valid {name}: {shown}{more}", 1000))


def check_action(value: Any) -> dict[str, Any]:
    """Returns `value` when it is one valid action (action.schema.json); raises ContractViolation otherwise."""
    check(value, "action")
    return value


def validate(value: Any, name: str) -> None:
    """For tests: like `check`, but a failure is an AssertionError."""
    try:
        check(value, name)
    except ContractViolation as violation:
        raise AssertionError(str(violation)) from None


def _type_ok(value: Any, expected: str) -> bool:
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        # Numbers are doubles, as in JavaScript: an int beyond a double's range is none (math.isfinite would raise on it).
        return isinstance(value, int) and not isinstance(value, bool) and _double_holds(value) or isinstance(value, float) and math.isfinite(value)
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[expected]


def _double_holds(value: int) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _same(a: Any, b: Any) -> bool:
    """Equality for const/enum that does not let True stand for 1 or 1.0 for True."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


@lru_cache(maxsize=None)
def _pattern(pattern: str) -> re.Pattern[str]:
    """Compiles an ECMAScript pattern (no flags) as Python, meaning the same.

    `$` outside a class becomes `\\Z` (Python's `$` also matches before a
    final newline); `.` matches what it does in JavaScript (anything but
    \\n, \\r, U+2028, U+2029); \\d and \\w are ASCII (re.ASCII) while \\s is
    ECMAScript's Unicode white space; a `[` inside a class is escaped. A
    pattern using what this does not translate (\\S inside a class) is refused.
    """
    out, in_class, index = [], False, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escape = pattern[index : index + 2]
            if escape == r"\s":
                escape = _JS_SPACE if in_class else f"[{_JS_SPACE}]"
            elif escape == r"\S":
                if in_class:
                    raise RuntimeError(f"pattern {pattern!r}: \\S inside a class is not translated")
                escape = f"[^{_JS_SPACE}]"
            out.append(escape)
            index += 2
            continue
        if char == "[":
            if in_class:
                char = r"\["
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        elif char == "." and not in_class:
            char = "[^\n\r\u2028\u2029]"
        out.append(char)
        index += 1
    return re.compile("".join(out), re.ASCII)


def errors(value: Any, node: dict[str, Any], path: str = "$") -> list[str]:
    """Every way `value` breaks the schema `node`, as short one-line problems."""
    found: list[str] = []
    for keyword in ("oneOf", "anyOf"):
        if keyword in node:
            outcomes = [errors(value, option, path) for option in node[keyword]]
            matching = sum(1 for outcome in outcomes if not outcome)
            if matching == 0:
                nearest = min(outcomes, key=len)
                found.append(f"{path}: matches none of the {keyword} alternatives; the nearest fails with: " + "; ".join(nearest[:3]))
            elif matching > 1 and keyword == "oneOf":
                found.append(f"{path}: matches {matching} of the oneOf alternatives, expected exactly 1")
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not any(_type_ok(value, t) for t in types):
            return found + [f"{path}: {_show(value)} is not of type {'/'.join(types)}"]
    if "const" in node and not _same(value, node["const"]):
        found.append(f"{path}: {_show(value)} is not {node['const']!r}")
    if "enum" in node and not any(_same(value, option) for option in node["enum"]):
        found.append(f"{path}: {_show(value)} is not one of {node['enum']}")
    if isinstance(value, str):
        if "minLength" in node and len(value) < node["minLength"]:
            found.append(f"{path}: shorter than {node['minLength']} characters")
        if "maxLength" in node and len(value) > node["maxLength"]:
            found.append(f"{path}: {len(value)} characters, longer than {node['maxLength']}")
        if "pattern" in node and not _pattern(node["pattern"]).search(value):
            found.append(f"{path}: {_show(value)} does not match {node['pattern']}")
        if node.get("format") == "date-time" and not _is_date_time(value):
            found.append(f"{path}: {_show(value)} is not a date-time")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in node and value < node["minimum"]:
            found.append(f"{path}: {_show(value)} is below {node['minimum']}")
        if "maximum" in node and value > node["maximum"]:
            found.append(f"{path}: {_show(value)} is above {node['maximum']}")
        if "exclusiveMinimum" in node and value <= node["exclusiveMinimum"]:
            found.append(f"{path}: {_show(value)} is not above {node['exclusiveMinimum']}")
    if isinstance(value, list):
        if "minItems" in node and len(value) < node["minItems"]:
            found.append(f"{path}: {len(value)} items, fewer than {node['minItems']}")
        if "maxItems" in node and len(value) > node["maxItems"]:
            found.append(f"{path}: {len(value)} items, more than {node['maxItems']}")
        else:  # items of an oversized array are not worth looking at
            prefix = node.get("prefixItems", [])
            for index, item in enumerate(value):
                if index < len(prefix):
                    found += errors(item, prefix[index], f"{path}[{index}]")
                elif "items" in node:
                    found += errors(item, node["items"], f"{path}[{index}]")
    if isinstance(value, dict):
        properties = node.get("properties", {})
        for required in node.get("required", []):
            if required not in value:
                found.append(f"{path}: {required!r} is required")
        for key, item in value.items():
            if "propertyNames" in node:
                found += [f"{path}: key {problem}" for problem in errors(key, node["propertyNames"], path)]
            if key in properties:
                found += errors(item, properties[key], f"{path}.{_show_key(key)}")
            elif node.get("additionalProperties") is False:
                found.append(f"{path}: unexpected field {_show(key)}")
            elif isinstance(node.get("additionalProperties"), dict):
                found += errors(item, node["additionalProperties"], f"{path}.{_show_key(key)}")
    return found


def _is_date_time(value: str) -> bool:
    """A date-time of the contract: zod's `datetime()`, the strict end of RFC 3339 §5.6.

    Always in UTC written `Z`, an upper-case `T`, seconds present, any number
    of fraction digits, no leap second (60), ASCII digits only; the date must
    exist in the proleptic Gregorian calendar (year 0000 included, a leap year).
    No other offset, no bare date (2020-01-01), no lower-case t or z: what the
    control plane accepts and the runtime writes, and nothing else.
    """
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= month <= 12 and 1 <= day <= days[month - 1] and hour <= 23 and minute <= 59 and second <= 59


# -- writing messages ------------------------------------------------------

def encode_message(value: Any, repair: bool = True) -> bytes:
    """The one way the runtime writes a message: compact UTF-8 JSON, as sizes are measured and bodies sent.

    Lone surrogates (a file name that is not UTF-8 arrives from os.scandir as
    one) become U+FFFD instead of crashing the encoder (with repair=False they
    raise UnicodeEncodeError); NaN and Infinity are a bug of the runtime and
    raise ValueError.
    """
    try:
        return _dumps(value).encode("utf-8")
    except UnicodeEncodeError:
        if not repair:
            raise
        return _dumps(scrub(value)).encode("utf-8")


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def scrub(value: Any) -> Any:
    """A copy of a JSON-like value whose strings and keys have every lone surrogate replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if not _encodable(value) else value
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return value


# -- reasons -----------------------------------------------------------------

def _show(value: Any) -> str:
    """A short, one-line quotation of an offending value (repr escapes control characters and surrogates)."""
    if isinstance(value, (list, dict)):
        return f"<{type(value).__name__} of {len(value)}>"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"<integer of {value.bit_length()} bits>"  # repr of an int over 4300 digits raises ValueError
    text = repr(value[: _VALUE_SHOWN] if isinstance(value, (str, bytes)) else value)
    return text if len(text) <= _VALUE_SHOWN else text[: _VALUE_SHOWN - 3] + "..."


@lru_cache(maxsize=1024)
def _show_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", key) else f"[{_show(key)}]"


def _short(path: str) -> str:
    return path if len(path) <= 160 else "..." + path[-157:]


def _one_line(text: str, limit: int) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
