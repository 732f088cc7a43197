"""The one error type the CLI raises, and how it reaches the terminal.

Every failure a user can cause (a bad flag value, an unreachable gateway, a 4xx from
the gateway) becomes a :class:`CliError`; ``main()`` prints it as one line,
``error: <code>: <message>``, plus optional detail lines (a document's problems), and
exits non-zero. Nothing else is caught on purpose, so a real bug still shows a traceback
in development, but nothing a user does should reach one.

Exit codes: 1 the request failed (the gateway or the document said no), 2 usage
errors (argparse's own convention), 3 the gateway could not be reached.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


class CliError(Exception):
    """A failure to report as ``error: <code>: <message>`` (or ``error: <message>``).

    Args:
        code: a stable machine-readable code (the gateway's ``error.code`` when it sent one);
            ``None`` prints the message alone.
        message: what went wrong, in one line.
        details: extra lines printed under the error (e.g. each problem of a document).
        exit_code: the process exit status.
    """

    def __init__(
        self,
        code: str | None,
        message: str,
        *,
        details: Sequence[str] = (),
        exit_code: int = EXIT_FAILED,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = list(details)
        self.exit_code = exit_code

    def __str__(self) -> str:
        head = " ".join(self.message.split())  # one line, whatever the server sent
        return f"error: {self.code}: {head}" if self.code else f"error: {head}"

    def report(self, stream: TextIO | None = None) -> None:
        """Print the error line and its details to ``stream`` (stderr by default)."""
        out = stream or sys.stderr
        print(str(self), file=out)
        for line in self.details:
            print(f"  {line}", file=out)
