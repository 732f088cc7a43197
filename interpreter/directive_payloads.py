"""Decoding the base64 JSON payloads that ``Dispatched-Spawn`` (``input=``) and
``Dispatched-Signal`` (``data=``) carry: either base64 alphabet, padded or not, UTF-8 JSON
with no NaN/Infinity, bounded in size and depth, and encodable again as Temporal payloads.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")


class PayloadError(ValueError):
    """A payload that does not decode; the message names the parameter."""


def decode_payload(text: str, param: str, *, max_bytes: int, max_depth: int) -> Any:
    """Decode base64 (either alphabet, padding optional) holding UTF-8 JSON.

    Raises:
        PayloadError: naming ``param`` and what is wrong with it.
    """
    body = text.rstrip("=")
    if not _BASE64.fullmatch(text) or len(body) % 4 == 1:
        raise PayloadError(f"{param} is not valid base64")
    if body != text and len(text) % 4:
        raise PayloadError(f"{param} has incorrect base64 padding")
    if re.search(r"[+/]", body) and re.search(r"[-_]", body):
        raise PayloadError(f"{param} mixes the standard and URL-safe base64 alphabets")
    try:
        raw = base64.b64decode(body.translate(str.maketrans("-_", "+/")) + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError(f"{param} is not valid base64") from None
    if len(raw) > max_bytes:
        raise PayloadError(
            f"{param} decodes to {len(raw)} bytes, over the limit of {max_bytes} bytes"
        )
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError(f"{param} does not decode to UTF-8 text") from None
    try:
        value = json.loads(decoded, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise PayloadError(f"{param} is not valid JSON: {_reason(error)}") from None
    if _depth(value) > max_depth:
        raise PayloadError(f"{param} is nested deeper than {max_depth} levels")
    try:  # "\ud800" escapes decode to lone surrogates that no payload converter can encode
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadError(f"{param} holds a string that is not valid Unicode") from None
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _reason(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error).splitlines()[0][:200]


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion (the value may be deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest
