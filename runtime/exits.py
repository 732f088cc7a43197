"""Ending a process that talked to Temporal, without Python's finalization.

A process that connected to Temporal has the SDK's native runtime threads (its core, the
Prometheus exporter) alive; exiting through ``SystemExit`` finalizes the interpreter
under them, and now and then one of them touches Python mid-teardown and the process
aborts (status -6, ``Fatal Python error: PyGILState_Release``) instead of exiting with
its status — seen in the test suite (a worker refused by the namespace check) and at the
end of bench runs. These functions flush what was written and end the process there.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn


def end_process(status: int) -> NoReturn:
    """Flush logs, stdout and stderr, then end with ``status``: for a process whose work is
    done and whose output is out (nothing is left to clean up)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def exit_at_once(message: str, status: int = 1) -> NoReturn:
    """Print ``message`` to stderr and end with ``status``: a long-running process that
    could not start (nothing started, so nothing to stop)."""
    print(message, file=sys.stderr)
    end_process(status)
