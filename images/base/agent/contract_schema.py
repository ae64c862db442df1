"""Validates JSON against the contract's JSON Schema files (the keywords they use), with the standard library only."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

CONTRACT = Path(__file__).resolve().parent / "contract"


def schema(name: str) -> dict[str, Any]:
    return json.loads((CONTRACT / f"{name}.schema.json").read_text(encoding="utf-8"))


def _type_ok(value: Any, expected: str) -> bool:
    return {
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }[expected]


def errors(value: Any, node: dict[str, Any], path: str = "$") -> list[str]:
    found: list[str] = []
    if "oneOf" in node:
        matching = [option for option in node["oneOf"] if not errors(value, option, path)]
        if len(matching) != 1:
            found.append(f"{path}: matches {len(matching)} of the oneOf alternatives, expected exactly 1")
    if "anyOf" in node and not any(not errors(value, option, path) for option in node["anyOf"]):
        found.append(f"{path}: matches none of the anyOf alternatives")
    if "type" in node:
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if not any(_type_ok(value, t) for t in types):
            return found + [f"{path}: {value!r} is not of type {node['type']}"]
    if "const" in node and value != node["const"]:
        found.append(f"{path}: {value!r} is not {node['const']!r}")
    if "enum" in node and value not in node["enum"]:
        found.append(f"{path}: {value!r} is not one of {node['enum']}")
    if isinstance(value, str):
        if "minLength" in node and len(value) < node["minLength"]:
            found.append(f"{path}: shorter than {node['minLength']}")
        if "maxLength" in node and len(value) > node["maxLength"]:
            found.append(f"{path}: longer than {node['maxLength']}")
        if "pattern" in node and not re.search(node["pattern"], value):
            found.append(f"{path}: {value!r} does not match {node['pattern']}")
        if node.get("format") == "date-time":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                found.append(f"{path}: {value!r} is not a date-time")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in node and value < node["minimum"]:
            found.append(f"{path}: below {node['minimum']}")
        if "maximum" in node and value > node["maximum"]:
            found.append(f"{path}: above {node['maximum']}")
        if "exclusiveMinimum" in node and value <= node["exclusiveMinimum"]:
            found.append(f"{path}: not above {node['exclusiveMinimum']}")
    if isinstance(value, list):
        if "minItems" in node and len(value) < node["minItems"]:
            found.append(f"{path}: fewer than {node['minItems']} items")
        if "items" in node:
            for index, item in enumerate(value):
                found += errors(item, node["items"], f"{path}[{index}]")
    if isinstance(value, dict):
        properties = node.get("properties", {})
        for required in node.get("required", []):
            if required not in value:
                found.append(f"{path}: {required!r} is required")
        for key, item in value.items():
            if key in properties:
                found += errors(item, properties[key], f"{path}.{key}")
            elif node.get("additionalProperties") is False:
                found.append(f"{path}: unexpected field {key!r}")
            elif isinstance(node.get("additionalProperties"), dict):
                found += errors(item, node["additionalProperties"], f"{path}.{key}")
    return found


def validate(value: Any, name: str) -> None:
    problems = errors(value, schema(name))
    if problems:
        raise AssertionError(f"not a valid {name}: " + "; ".join(problems))
