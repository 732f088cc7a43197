"""Durations as documents write them: ``250ms``, ``30s``, ``30m``, ``1h``, ``1d``, sums like ``1h30m``.

A bare number is refused on purpose: ``timeout: 30`` is ambiguous (seconds? minutes?),
and a workflow engine that guesses wrong waits a day instead of a minute.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")


class DurationError(ValueError):
    """A duration string that does not parse; the message says what was expected."""


def parse_duration(text: str) -> timedelta:
    """Parse ``text`` into a :class:`timedelta`.

    Raises:
        DurationError: when ``text`` is not a sum of ``<number><unit>`` parts.
    """
    if not isinstance(text, str):
        raise DurationError(f"expected a duration string like '30s', got {type(text).__name__}")
    return _parse(text)


@lru_cache(maxsize=512)
def _parse(text: str) -> timedelta:
    """The parse of a string, memoized: a timedelta is immutable, and a 1,000-step document
    has ~3,000 durations but a handful of distinct spellings (validation parses each twice,
    compilation once more). A bad spelling raises every time: exceptions are not cached."""
    compact = text.strip()
    if not _WHOLE.fullmatch(compact):
        raise DurationError(
            f"invalid duration {text!r}: expected parts like 250ms, 30s, 30m, 1h, 1d (e.g. 1h30m)"
        )
    seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(compact))
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Render a timedelta the way documents write it (used in events and messages)."""
    millis = round(value.total_seconds() * 1000)
    if millis % 1000:
        return f"{millis}ms"
    seconds = millis // 1000
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
