"""Logging for the long-running processes: ``dispatched worker`` and ``dispatched gateway``.

Both write to stderr, which ``dispatched dev`` sends to ``<data dir>/logs/{worker,gateway}.log``
and a container runtime collects as is. One physical line per record (time, level,
logger, message), so a record is found with ``grep`` and no message (an upstream's
error text, say) can forge a line that looks like another record. The level is
``DISPATCHED_LOG_LEVEL`` (:attr:`~runtime.settings.Settings.log_level`).

httpx and httpcore stay at WARNING whatever the level: their INFO and DEBUG lines carry
request URLs and headers, which is where a step's secrets travel.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LOGGERS = ("httpx", "httpcore")


class OneLineFormatter(logging.Formatter):
    """The standard format, with line breaks (a traceback's too) escaped as ``\\n``."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


def setup_logging(level: str = "INFO") -> None:
    """Send every record at ``level`` and above to stderr, one line each.

    Call once, first thing in a process's entry point: it replaces the root logger's
    handlers, so libraries that log (Temporal's SDK, uvicorn) share the one format.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
