"""JSON text from outside (trigger bodies, signal payloads, directive payloads, upstream
response bodies) turned into a value that can travel through Temporal: one set of rules,
wherever the text comes from.

Python's ``json`` accepts more than JSON — ``NaN``, ``Infinity``, numbers that overflow to
``inf`` (``1e999``), escapes that decode to lone surrogates (``"\\ud800"``) — and nests as
deep as its recursion allows. None of that can be encoded again as a payload (the pydantic
converter writes ``NaN`` as ``null``, a silent change, and refuses a lone surrogate), so it
is refused here, with a reason and, where the value has one, its place (``at $.items[3]``),
instead of failing later inside an activity's result or a workflow task.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# The types of JSON's scalars as parsed (`json`, YAML's JSON subset): a walker over JSON
# values tests ``type(value) in JSON_SCALARS`` first, the cheapest way past most leaves.
JSON_SCALARS = frozenset({int, float, bool, type(None)})

# How much of a location a reason shows: a path 1,000 levels deep is no help to read. A
# level too deep is shown by where its branch starts, the rest is a long run of `[0]`.
_MAX_PATH_CHARS = 120
_MAX_DEPTH_PATH_CHARS = 40
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class JsonValueError(ValueError):
    """Why the text is refused, as a predicate: ``"is not valid JSON: ..."``. Callers put
    the subject in front (``"the request body"``, ``"data"``)."""


class _Constant:
    """Stands in for ``NaN``/``Infinity``/``-Infinity`` while parsing, so the reason can
    say where the constant was (the parser gives ``parse_constant`` no position)."""

    def __init__(self, name: str) -> None:
        self.name = name


# A path as a linked list, (key, parent): built for every container on the walk but
# turned into text only for the one place a reason names.
_Path = tuple[str | int, "_Path"] | None


def load_json_value(text: str | bytes, *, max_depth: int) -> Any:
    """Parse ``text`` and check the value can be encoded again as JSON.

    Raises:
        JsonValueError: the text is not UTF-8, not JSON, nested deeper than
            ``max_depth``, or holds a string or number JSON cannot carry.
    """
    try:  # json.loads would guess UTF-16/32 from a BOM; outside data is UTF-8 or nothing
        decoded = text.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError as error:
        raise JsonValueError(f"does not decode to UTF-8 text, at byte {error.start}") from None
    try:
        value = json.loads(decoded, parse_constant=_Constant)
    except RecursionError:
        raise JsonValueError("is not valid JSON: nested too deeply") from None
    except json.JSONDecodeError as error:
        raise JsonValueError(f"is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise JsonValueError(f"is not valid JSON: {error}") from None
    # The quick check first: the depth (before encoding: the encoder recurses), then what
    # "can be encoded again" means.
    fits = not _deeper_than(value, max_depth)
    try:
        if fits:
            json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, TypeError):  # a number out of range, a surrogate, a constant (TypeError)
        fits = False
    if not fits:  # the slower walk, only for text that is refused: what is wrong, and where
        raise JsonValueError(_first_problem(value, max_depth) or "holds a value JSON cannot carry")
    return value


def _deeper_than(value: Any, max_depth: int) -> bool:
    """Whether decoded JSON nests deeper than ``max_depth``, without recursion (the value
    may be deep); only containers are visited, and it stops at the first level too deep."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, level = stack.pop()
        if level > max_depth:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return False


def _first_problem(value: Any, max_depth: int) -> str | None:
    """The reason ``value`` can't travel, naming the first place in document order, or None.

    One walk, without recursion (the value may be ~1,000 deep, as deep as ``json.loads``
    goes). A constant is reported before anything else (it is not JSON at all), then a
    level too deep, then a string or a number.
    """
    found: dict[str, str] = {}
    stack: list[tuple[Any, int, _Path]] = [(value, 1, None)]
    while stack and "constant" not in found:
        item, level, path = stack.pop()
        if isinstance(item, dict | list):
            if level > max_depth:
                where = _render(path, _MAX_DEPTH_PATH_CHARS)
                found.setdefault("depth", f"is nested deeper than {max_depth} levels, at {where}")
                continue  # what is below is deeper still; the reason is already known
            pairs = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
            for key, child in reversed(pairs):  # reversed: popped in document order
                if isinstance(key, str) and _SURROGATE.search(key):
                    found.setdefault("string", _unicode_reason((key, path), "a key"))
                stack.append((child, level + 1, (key, path)))
        elif isinstance(item, _Constant):
            found["constant"] = f"is not valid JSON: {item.name} is not a JSON value, at {_render(path)}"
        elif isinstance(item, str) and _SURROGATE.search(item):
            found.setdefault("string", _unicode_reason(path, "a string"))
        elif isinstance(item, float) and not math.isfinite(item):
            found.setdefault("number", f"holds a number JSON cannot carry (out of range), at {_render(path)}")
    for kind in ("constant", "depth", "string", "number"):
        if kind in found:
            return found[kind]
    return None


def _unicode_reason(path: _Path, what: str) -> str:
    return f"holds {what} that is not valid Unicode (an unpaired surrogate), at {_render(path)}"


def _render(path: _Path, limit: int = _MAX_PATH_CHARS) -> str:
    """``$``, ``$.items[3]``, ``$["odd key"]``; cut to ``limit`` characters (the start kept)."""
    keys: list[str | int] = []
    while path is not None:
        key, path = path
        keys.append(key)
    parts = ["$"]
    for key in reversed(keys):
        if isinstance(key, int):
            parts.append(f"[{key}]")
        elif _PLAIN_KEY.fullmatch(key):
            parts.append(f".{key}")
        else:  # ensure_ascii: a lone surrogate in a key is shown as its escape
            parts.append(f"[{json.dumps(key)}]")
    text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"
