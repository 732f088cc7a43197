"""Ending a long-running process that could not start."""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn


def exit_at_once(message: str, status: int = 1) -> NoReturn:
    """Print ``message`` to stderr and end the process with ``status`` without Python's
    finalization.

    A process that connected to Temporal has the SDK's native runtime threads (its core,
    the Prometheus exporter) alive; exiting through ``SystemExit`` finalizes the
    interpreter under them, and now and then one of them touches Python mid-teardown and
    the process aborts (status -6) instead of exiting 1 — seen in the test suite. Nothing
    is left to clean up on these paths (nothing started), so the output is flushed and
    the process ends here.
    """
    print(message, file=sys.stderr)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
