"""How HTTP headers become run data: repeated headers joined, JSON content types told
apart, control characters refused.

A trigger's request headers and an upstream's response headers both reach expressions
as one ``dict[str, str]`` (``trigger.headers``, ``steps.<id>.response.headers``), and a
JSON content type decides both how a response body is read and how a published answer
is sent. Written once, so the two directions cannot drift apart (docs/api.md,
docs/engine.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

JSON_MEDIA_TYPE = "application/json"
JSON_SUFFIX = "+json"  # RFC 6839 structured syntax suffix: application/problem+json, ...
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # every C0 control but HTAB, and DEL


def join_repeated(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as one value per lower-cased name, repeats joined with ``", "`` in order.

    RFC 9110 §5.3 lets a recipient combine repeated field lines that way; a dict keeps
    the data plain JSON for the workflow, where a list per name would make every
    expression pay for the rare repeat.
    """
    joined: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def media_type(content_type: str) -> str:
    """The media type of a Content-Type value, lower-cased, without its parameters
    (``"Application/JSON; charset=utf-8"`` → ``"application/json"``)."""
    return content_type.split(";")[0].strip().lower()


def is_json(content_type: str) -> bool:
    """Whether a Content-Type value says JSON: ``application/json`` or any ``*+json``."""
    media = media_type(content_type)
    return media == JSON_MEDIA_TYPE or media.endswith(JSON_SUFFIX)


def has_control_character(value: str) -> bool:
    """Whether a header value holds a control character RFC 9110 does not allow in a
    field value (HTAB is allowed): a CR or LF would split the header in two."""
    return _CONTROL.search(value) is not None
