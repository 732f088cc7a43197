"""JSON text from outside (trigger bodies, signal payloads, directive payloads) turned into a
value that can travel through Temporal: one set of rules, wherever the text comes from.

Python's ``json`` accepts more than JSON — ``NaN``, ``Infinity``, numbers that overflow to
``inf`` (``1e999``), escapes that decode to lone surrogates (``"\\ud800"``) — and nests as
deep as its recursion allows. None of that can be encoded again as a payload, so it is
refused here, with a reason, instead of failing later inside a workflow task.
"""

from __future__ import annotations

import json
from typing import Any


class JsonValueError(ValueError):
    """Why the text is refused, as a predicate: ``"is not valid JSON: ..."``. Callers put
    the subject in front (``"the request body"``, ``"data"``)."""


def load_json_value(text: str | bytes, *, max_depth: int) -> Any:
    """Parse ``text`` and check the value can be encoded again as JSON.

    Raises:
        JsonValueError: the text is not UTF-8, not JSON, nested deeper than
            ``max_depth``, or holds a string or number JSON cannot carry.
    """
    try:  # json.loads would guess UTF-16/32 from a BOM; outside data is UTF-8 or nothing
        decoded = text.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError:
        raise JsonValueError("does not decode to UTF-8 text") from None
    try:
        value = json.loads(decoded, parse_constant=_refuse_constant)
    except RecursionError:
        raise JsonValueError("is not valid JSON: nested too deeply") from None
    except json.JSONDecodeError as error:
        raise JsonValueError(f"is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    except ValueError as error:
        raise JsonValueError(f"is not valid JSON: {error}") from None
    if _depth(value) > max_depth:
        raise JsonValueError(f"is nested deeper than {max_depth} levels")
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JsonValueError("holds a string that is not valid Unicode (an unpaired surrogate)") from None
    except ValueError:
        raise JsonValueError("holds a number JSON cannot carry (out of range)") from None
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion (the value may be deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
