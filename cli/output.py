"""Output for people (aligned tables, short times) and for scripts (``--json``).

Tables go to stdout with no colour or box drawing, so they survive ``| grep`` and
copy-paste; ``--json`` prints exactly what the gateway answered, indented, so scripts
depend on the HTTP API's shapes (SPEC §3) and not on this module's layout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

EMPTY = "-"


def print_json(value: Any, stream: TextIO | None = None) -> None:
    """Print ``value`` as indented JSON (what ``--json`` promises)."""
    print(json.dumps(value, indent=2, ensure_ascii=False), file=stream or sys.stdout)


def cell(value: Any) -> str:
    """Render one table cell: ``-`` for nothing, errors as ``code: message``, times shortened."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, dict) and "code" in value:
        return f"{value['code']}: {value.get('message', '')}".strip()
    if isinstance(value, str):
        return short_time(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def short_time(value: str) -> str:
    """``2026-05-15T12:00:00.123456Z`` → ``2026-05-15 12:00:00`` (anything else unchanged)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if "T" not in value:
        return value
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned plain-text table; the last column is not padded."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    lines = []
    for row in [list(headers), *cells]:
        padded = [text.ljust(widths[i]) for i, text in enumerate(row[:-1])] + [row[-1]]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, empty: str) -> None:
    """Print a table, or ``empty`` (e.g. "no runs") when there are no rows."""
    print(table(headers, rows) if rows else empty)


def print_body(body: bytes, content_type: str) -> None:
    """Print a response body: JSON indented, anything else as text."""
    if "json" in content_type:
        try:
            print_json(json.loads(body))
            return
        except ValueError:
            pass
    text = body.decode("utf-8", errors="replace")
    print(text, end="" if text.endswith("\n") or not text else "\n")
