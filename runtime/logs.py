"""Logging for the long-running processes: ``dispatched worker`` and ``dispatched gateway``.

Both write to stderr, which ``dispatched dev`` sends to ``<data dir>/logs/{worker,gateway}.log``
and a container runtime collects as is: one JSON object per line (SPEC §9), so a log
pipeline needs no parser and no message (an upstream's error text, say) can forge a line
that looks like another record. Each object has ``at``, ``level``, ``logger`` and
``message``, plus where they apply ``run_id``, ``step``, ``workflow`` and ``project``
(from the record's ``extra``, or from the context the Temporal SDK attaches to its
workflow and activity loggers), and ``exception`` with the traceback. The level is
``DISPATCHED_LOG_LEVEL`` (:attr:`~runtime.settings.Settings.log_level`).

httpx and httpcore stay at WARNING whatever the level: their INFO and DEBUG lines carry
request URLs and headers, which is where a step's secrets travel. Nothing here logs a
secret: request activities log codes and step ids, never URLs, headers or bodies.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import temporalio.activity
import temporalio.workflow

QUIET_LOGGERS = ("httpx", "httpcore")
CONTEXT_FIELDS = ("run_id", "step", "workflow", "project")
# The gateway's access lines (gateway/access_log.py); never a query string, header or body.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")


def _temporal_context(record: logging.LogRecord) -> dict[str, Any]:
    """Run id and step from the SDK's ``temporal_workflow`` / ``temporal_activity`` extras
    (the workflow id is the run id; a request activity's id is its step id)."""
    found: dict[str, Any] = {}
    activity = getattr(record, "temporal_activity", None)
    if isinstance(activity, dict):
        found["run_id"] = activity.get("workflow_id")
        found["step"] = activity.get("activity_id")
    workflow = getattr(record, "temporal_workflow", None)
    if isinstance(workflow, dict):
        found["run_id"] = workflow.get("workflow_id")
    return {key: value for key, value in found.items() if value}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_temporal_context(record))
        for field in CONTEXT_FIELDS + ACCESS_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO") -> None:
    """Send every record at ``level`` and above to stderr, one JSON line each.

    Call once, first thing in a process's entry point: it replaces the root logger's
    handlers, so libraries that log (Temporal's SDK, uvicorn) share the one format.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # The SDK's loggers append their context to the message; here it is in the record's
    # own fields (run_id, step) instead, so the message stays what the code said.
    temporalio.workflow.logger.workflow_info_on_message = False
    temporalio.activity.logger.activity_info_on_message = False
