"""Decoding the base64 JSON payloads that ``Dispatched-Spawn`` (``input=``) and
``Dispatched-Signal`` (``data=``) carry: either base64 alphabet, padded or not, UTF-8 JSON
with no NaN/Infinity, bounded in size and depth, and encodable again as Temporal payloads.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from contract.json_values import JsonValueError, load_json_value

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
        return load_json_value(raw, max_depth=max_depth)
    except JsonValueError as error:
        raise PayloadError(f"{param} {error}") from None
