"""The agent contract's rules for messages, checked with the standard library only.

Everything the control plane sends is hostile until proven otherwise: the
runtime turns bytes into a value with `parse_message` and holds that value to
the message's JSON Schema with `check` before acting on it. Both raise
`ContractViolation`, a ValueError whose text is one line, safe to log and
bounded in size, so a bad message becomes a refused message, never a crash or
a stall of the loop.

The JSON Schemas and `limits.json` beside this file are generated from the zod
definitions in libs/agent-contract, so both sides enforce the same rules.
The validator knows exactly the keywords those files use and refuses to load a
schema with any other keyword: a keyword it silently ignored would be a rule
it silently did not enforce.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
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
        "items", "minItems", "maxItems",
        "properties", "required", "additionalProperties", "propertyNames",
    }
)

_PROBLEMS_SHOWN = 5  # a reason names at most this many problems: one line, bounded, still useful
_VALUE_SHOWN = 60  # characters of an offending value quoted in a reason
_SURROGATE = re.compile("[\ud800-\udfff]")


class ContractViolation(ValueError):
    """A message breaks the contract. Its text is a one-line reason, bounded in size."""


# -- reading messages ------------------------------------------------------

def parse_message(raw: bytes) -> Any:
    """Parses one message body: UTF-8 JSON within the contract's size and nesting limits.

    Refused (ContractViolation): bodies over maxMessageBytes, anything but
    UTF-8 (json.loads would otherwise guess UTF-16/32), NaN/Infinity literals
    and numbers that overflow to infinity (not JSON, and they poison every
    comparison), lone surrogates (json.loads accepts "\\ud800"; no UTF-8
    encoder does, so they would crash whoever writes the value out), duplicate
    keys (parsers disagree on which one wins), and nesting deeper than
    maxNestingDepth (the C parser recurses; RecursionError is caught too).
    """
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
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ContractViolation(f"message nests deeper than {LIMITS['maxNestingDepth']} levels") from None
    except ContractViolation:
        raise
    except ValueError as error:  # JSONDecodeError, or an integer of more than 4300 digits
        raise ContractViolation(f"message is not JSON: {_one_line(str(error), 200)}") from None
    _check_tree(value)
    return value


def _refuse_constant(name: str) -> Any:
    raise ContractViolation(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ContractViolation(f"number {_show(text)} is out of range")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ContractViolation(f"key {_show(duplicate)} appears twice in one object")
    return value


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
    for keyword in ("oneOf", "anyOf"):
        for index, option in enumerate(node.get(keyword, [])):
            _known_keywords(option, f"{where}.{keyword}[{index}]")


def check(value: Any, name: str) -> None:
    """Raises ContractViolation unless `value` is a valid <name> message.

    Stricter than a plain JSON Schema reading where Python and JavaScript
    differ: booleans are never integers or numbers (True == 1 in Python),
    numbers are finite, const/enum compare types too, `$` in a pattern is the
    end of the string (Python's `$` also matches before a final newline) and
    `\\d` is an ASCII digit, as in JavaScript.
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
        # An int is always finite (and math.isfinite(10**400) would raise OverflowError).
        return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and math.isfinite(value)
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[expected]


def _same(a: Any, b: Any) -> bool:
    """Equality for const/enum that does not let True stand for 1 or 1.0 for True."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


@lru_cache(maxsize=None)
def _pattern(pattern: str) -> re.Pattern[str]:
    """Compiles an ECMAScript pattern as Python: `$` outside a class becomes `\\Z`, and \\d, \\w, \\s are ASCII."""
    out, in_class, index = [], False, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
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
        elif "items" in node:  # items of an oversized array are not worth looking at
            for index, item in enumerate(value):
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
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


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
