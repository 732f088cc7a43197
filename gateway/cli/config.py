"""Where the CLI finds the gateway and its session token.

The environment wins (``DISPATCHED_URL``, ``DISPATCHED_TOKEN``, as SPEC §4 says). When
they are unset the CLI reads the files ``dispatched dev`` leaves in its data dir
(``url`` and ``token``), so a second terminal in the same project needs no setup. The
data dir is ``.dispatched`` under the working directory unless ``DISPATCHED_DATA_DIR``
names another one (useful with ``dispatched dev --data-dir``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://localhost:4000"
DEFAULT_DATA_DIR = ".dispatched"
URL_FILE = "url"
TOKEN_FILE = "token"


@dataclass(frozen=True)
class GatewayTarget:
    """The gateway the CLI talks to and the token it presents (``None``: none found)."""

    url: str
    token: str | None


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The data dir the CLI falls back to for ``url`` and ``token``."""
    env = os.environ if env is None else env
    return Path(env.get("DISPATCHED_DATA_DIR") or DEFAULT_DATA_DIR)


def _read(path: Path) -> str | None:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return value or None


def resolve_target(env: Mapping[str, str] | None = None) -> GatewayTarget:
    """Resolve the gateway URL and token: environment first, then the data-dir files."""
    env = os.environ if env is None else env
    folder = data_dir(env)
    url = env.get("DISPATCHED_URL") or _read(folder / URL_FILE) or DEFAULT_URL
    token = env.get("DISPATCHED_TOKEN") or _read(folder / TOKEN_FILE)
    return GatewayTarget(url=url.rstrip("/"), token=token)
