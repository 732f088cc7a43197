"""The ``dispatched`` command line (SPEC §4).

One module per command group (:mod:`.run`, :mod:`.workflow`, :mod:`.secrets`,
:mod:`.serve`), a small HTTP client for the gateway (:mod:`.client`) and the output
helpers (:mod:`.output`). ``main()`` is the console script: it returns the exit status
and turns every :class:`~cli.errors.CliError` into one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from cli import marketplace, project, run, secrets, serve, token, workflow
from cli.client import GatewayClient
from cli.config import add_project_option, resolve_target
from cli.errors import CliError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser: ``dispatched <group> <action> ...``."""
    parser = argparse.ArgumentParser(
        prog="dispatched",
        description="Durable HTTP workflows on Temporal. Talks to the gateway at DISPATCHED_URL "
        "with DISPATCHED_TOKEN (falling back to the files `dispatched dev` writes in .dispatched/).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.register(commands)
    run.register(commands)
    workflow.register(commands)
    secrets.register(commands)
    project.register(commands)
    token.register(commands)
    marketplace.register(commands)
    add_project_option(parser)  # last, so it reaches every command registered above
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, non-zero with ``error: ...`` on stderr otherwise."""
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "offline", False):
            args.handler(args)
        else:
            with GatewayClient(resolve_target(project=getattr(args, "project", None))) as client:
                args.handler(args, client)
    except CliError as exc:
        exc.report()
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `dispatched run events RUN | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0
