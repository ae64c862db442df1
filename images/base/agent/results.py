"""Fits an action result into the contract's message size, truncating visibly instead of losing it.

The control plane refuses bodies over maxMessageBytes, and a refused result is
a result lost. So before a result is sent, its large fields (stdout, stderr,
content, entries, error) are cut, the largest first, until the whole message
fits; each cut carries a marker saying so, and the result says
`truncated: true`. Sizes are measured with `encode_message`, the very bytes
the client sends, so control characters (escaped to six bytes), 4-byte UTF-8
and lone surrogates (sent as U+FFFD) all count at their true cost.
"""

from __future__ import annotations

from typing import Any

from .contract_schema import encode_message, scrub

TEXT_FIELDS = ("stdout", "stderr", "content", "error")
LIST_FIELDS = ("entries",)


def marker(max_bytes: int) -> str:
    """What ends a cut text field."""
    return f"\n[truncated by the runtime: result exceeded {max_bytes} bytes]"


def entries_marker(max_bytes: int, omitted: int, total: int) -> dict[str, Any]:
    """The entry that ends a cut listing. Its name holds a '/', which no real file name can."""
    return {"name": f"[truncated by the runtime: result exceeded {max_bytes} bytes; {omitted}/{total} entries not listed]", "type": "other", "size": 0}


def fit_result(result: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """A copy of `result` whose encoded size is at most `max_bytes`.

    A result that fits comes back unchanged (a new top-level dict; lone
    surrogates replaced, so it is valid UTF-8). One that does not has its cuttable
    fields shortened to a common byte allowance (fields below it stay whole:
    the largest are cut first) and gains `truncated: true`. Raises ValueError
    only when even the result without those fields, plus markers, cannot fit.
    """
    try:
        size = len(encode_message(result, repair=False))
        fitted = dict(result)  # only top-level fields are ever replaced: a shallow copy leaves the caller's result alone
    except UnicodeEncodeError:
        fitted = scrub(result)
        size = _size(fitted)
    if size <= max_bytes:
        return fitted
    cuttable = [name for name in TEXT_FIELDS if isinstance(fitted.get(name), str)]
    cuttable += [name for name in LIST_FIELDS if isinstance(fitted.get(name), list)]
    emptied = {name: "" if name in TEXT_FIELDS else [] for name in cuttable}
    room = max_bytes - _size({**fitted, **emptied, "truncated": True})
    # Bytes each field adds over its empty value, and the least a cut version of it adds (its marker alone).
    full = {name: _size(fitted[name]) - 2 for name in cuttable}
    least = {name: _cut_floor(name, fitted[name], max_bytes) for name in cuttable}
    level = _water_level(full, least, room)
    if level is None:
        raise ValueError(f"max_bytes={max_bytes} is too small for this result even with every large field cut")
    for name in cuttable:
        if full[name] > max(level, least[name]):
            allowance = max(level, least[name])
            if name in TEXT_FIELDS:
                fitted[name] = _cut_text(fitted[name], allowance, marker(max_bytes))
            else:
                fitted[name] = _cut_entries(fitted[name], allowance, max_bytes)
    fitted["truncated"] = True
    size = _size(fitted)
    if size > max_bytes:  # would be a bug in the arithmetic above; never send what the control plane refuses
        raise AssertionError(f"fit_result produced {size} bytes for max_bytes={max_bytes}")
    return fitted


def _size(value: Any) -> int:
    return len(encode_message(value))


def _cut_floor(name: str, value: Any, max_bytes: int) -> int:
    if name in TEXT_FIELDS:
        return _size(marker(max_bytes)) - 2
    return _size([entries_marker(max_bytes, len(value), len(value))]) - 2


def _water_level(full: dict[str, int], least: dict[str, int], room: int) -> int | None:
    """The largest allowance L such that fields cut to max(L, their floor) (whole when smaller) fit in `room`."""

    def total(level: int) -> int:
        # A field no larger than its marker is never worth cutting: it stays whole.
        return sum(size if size <= max(level, least[name]) else max(level, least[name]) for name, size in full.items())

    if room < 0 or total(0) > room:
        return None
    low, high = 0, max(full.values(), default=0)
    while low < high:
        middle = (low + high + 1) // 2
        if total(middle) <= room:
            low = middle
        else:
            high = middle - 1
    return low


def _cut_text(text: str, allowance: int, end: str) -> str:
    """The longest prefix of `text` that, followed by `end`, adds at most `allowance` bytes over an empty string.

    Each probe encodes a prefix of up to megabytes, so the search starts at the
    proportional guess and only looks as far as the bytes still unaccounted for
    (every character costs 1 to 6 bytes): one or two probes on uniform text.
    """
    budget = allowance - (_size(end) - 2)

    def cost(length: int) -> int:
        return _size(text[:length]) - 2

    guess = min(len(text), len(text) * budget // max(cost(len(text)), 1))
    spent = cost(guess)
    if spent <= budget:
        low, high = guess, min(len(text), guess + budget - spent)
    else:  # dropping `spent - budget` characters frees at least that many bytes
        low, high = max(0, guess - (spent - budget)), guess - 1
    while low < high:  # invariant: cost(low) <= budget
        middle = (low + high + 1) // 2
        if cost(middle) <= budget:
            low = middle
        else:
            high = middle - 1
    return text[:low] + end


def _cut_entries(entries: list[Any], allowance: int, max_bytes: int) -> list[Any]:
    """The first entries that fit, then the marker entry, within `allowance` bytes over an empty list."""
    total = len(entries)
    budget = allowance - (_size([entries_marker(max_bytes, total, total)]) - 2)  # the marker at its longest
    kept: list[Any] = []
    for entry in entries:
        cost = _size(entry) + 1  # and the comma before the marker
        if cost > budget:
            break
        budget -= cost
        kept.append(entry)
    return kept + [entries_marker(max_bytes, total - len(kept), total)]
