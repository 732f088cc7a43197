"""Reading user input from flags: ``--data JSON|@file`` and secret values from stdin."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Any

from cli.errors import CliError


def parse_data(raw: str | None, *, flag: str = "--data") -> Any:
    """Decode ``--data``: inline JSON, ``@path`` for a JSON file, ``@-`` for stdin; None if absent."""
    if raw is None:
        return None
    source = "inline"
    if raw.startswith("@"):
        path = raw[1:]
        source = "stdin" if path == "-" else path
        try:
            raw = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError("bad_data", f"{flag}: cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        where = "" if source == "inline" else f" in {source}"
        raise CliError(
            "bad_data", f"{flag} is not valid JSON{where} (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from exc


def read_secret_value(name: str) -> str:
    """Read a secret's value without echoing it on a terminal; from a pipe, the first line."""
    if sys.stdin.isatty():
        value = getpass.getpass(f"value for {name}: ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise CliError("bad_value", f"no value given for secret {name}")
    return value
