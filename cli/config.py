"""Where the CLI finds the gateway and its session token.

The environment wins (``DISPATCHED_URL``, ``DISPATCHED_TOKEN``, as SPEC §4 says), read
through :class:`~runtime.settings.Settings` like every other process, so the CLI and
the gateway agree on names and defaults. When they are unset the CLI reads the files
``dispatched dev`` leaves in its data dir (``url`` and ``token``), so a second terminal
in the same project needs no setup. The data dir is ``Settings.data_dir``:
``.dispatched`` under the working directory unless ``DISPATCHED_DATA_DIR`` names
another one (useful with ``dispatched dev --data-dir``).

The project (SPEC §6) is ``--project NAME``, else ``DISPATCHED_PROJECT``, else none:
the CLI then sends no ``Dispatched-Project`` header and the gateway picks (``default``
for the operator token, its own project for a project token). It is checked here
against the same slug rule the registry applies, so a typo fails before any request
(and a value no HTTP header could carry never reaches httpx).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from cli.errors import EXIT_USAGE, CliError
from contract.identifiers import slug_problem
from runtime.settings import Settings

URL_FILE = "url"
TOKEN_FILE = "token"


@dataclass(frozen=True)
class GatewayTarget:
    """The gateway the CLI talks to, the token it presents (``None``: none found) and the
    project it names (``None``: it names none, and the gateway picks)."""

    url: str
    token: str | None
    project: str | None = None


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


def resolve_target(env: Mapping[str, str] | None = None, *, project: str | None = None) -> GatewayTarget:
    """Resolve the gateway URL and token (environment first, then the data-dir files) and
    the project (``project``, the ``--project`` flag, over ``DISPATCHED_PROJECT``).

    Raises:
        CliError: the project is not a slug (exit status 2, like any usage error).
    """
    settings = load_settings(env)
    folder = settings.data_dir
    given_url = settings.url if "url" in settings.model_fields_set else None
    url = given_url or _read(folder / URL_FILE) or settings.url
    token = settings.token.get_secret_value() if settings.token is not None else _read(folder / TOKEN_FILE)
    chosen = project if project is not None else settings.project
    if chosen is not None and (problem := slug_problem(chosen)) is not None:
        source = "--project" if project is not None else "DISPATCHED_PROJECT"
        raise CliError("bad_project", f"{source} {chosen!r}: {problem}", exit_code=EXIT_USAGE)
    return GatewayTarget(url=url.rstrip("/"), token=token, project=chosen)


PROJECT_HELP = "the project to act on (default: DISPATCHED_PROJECT, else the token's own; 'default' for the operator)"


def add_project_option(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` and every command under it that talks to the gateway ``--project``.

    On the top-level parser it defaults to None; on each command it is ``SUPPRESS``ed,
    so ``dispatched --project shop run list`` and ``dispatched run list --project shop``
    both work and a command's unset flag never hides the top-level one. Commands marked
    ``offline`` (``dev``, ``worker``, ``gateway``, ``workflow validate``) name no project
    and do not get it. Walking the parsers once here covers every command group,
    including ones registered later in ``build_parser``, without each module repeating it.
    """
    parser.add_argument("--project", metavar="NAME", default=None, help=PROJECT_HELP)
    for command in _leaf_parsers(parser):
        if not command.get_default("offline"):
            command.add_argument("--project", metavar="NAME", default=argparse.SUPPRESS, help=PROJECT_HELP)


def _leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers of the actual commands (``run start``, ``secrets list``, ...) under ``parser``."""
    groups = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    if not groups:
        return [parser]
    leaves: list[argparse.ArgumentParser] = []
    for group in groups:
        for child in dict.fromkeys(group.choices.values()):  # aliases map to the same parser
            leaves.extend(_leaf_parsers(child))
    return leaves
