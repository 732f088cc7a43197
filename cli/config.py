"""Where the CLI finds the gateway and its session token.

The environment wins (``DISPATCHED_URL``, ``DISPATCHED_TOKEN``, as SPEC §4 says), read
through :class:`~runtime.settings.Settings` like every other process, so the CLI and
the gateway agree on names and defaults. When they are unset the CLI reads the files
``dispatched dev`` leaves in its data dir (``url`` and ``token``), so a second terminal
in the same project needs no setup. The data dir is ``Settings.data_dir``:
``.dispatched`` under the working directory unless ``DISPATCHED_DATA_DIR`` names
another one (useful with ``dispatched dev --data-dir``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from cli.errors import EXIT_USAGE, CliError
from runtime.settings import Settings

URL_FILE = "url"
TOKEN_FILE = "token"


@dataclass(frozen=True)
class GatewayTarget:
    """The gateway the CLI talks to and the token it presents (``None``: none found)."""

    url: str
    token: str | None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``env`` (``None``: the process environment).

    Raises:
        CliError: a variable has a value Settings refuses (``DISPATCHED_PORT=abc``), said
            in one line instead of pydantic's multi-line report.
    """
    try:
        return Settings() if env is None else Settings.from_environ(env)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise CliError("bad_environment", f"{name}: {first['msg']}", exit_code=EXIT_USAGE) from exc


def _read(path: Path) -> str | None:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return value or None


def resolve_target(env: Mapping[str, str] | None = None) -> GatewayTarget:
    """Resolve the gateway URL and token: environment first, then the data-dir files."""
    settings = load_settings(env)
    folder = settings.data_dir
    given_url = settings.url if "url" in settings.model_fields_set else None
    url = given_url or _read(folder / URL_FILE) or settings.url
    token = settings.token.get_secret_value() if settings.token is not None else _read(folder / TOKEN_FILE)
    return GatewayTarget(url=url.rstrip("/"), token=token)
