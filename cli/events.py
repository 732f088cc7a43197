"""Reading a run's event log, and following it live over server-sent events.

``--follow`` must survive a gateway restart (``dispatched dev`` stopped and started,
a rolling deploy): when the stream drops, it reconnects from the last event it printed
(``?follow=true&after=<seq>``), a few times with a short backoff, and then gives up
with a clear message rather than hanging. A stream that ends normally is checked
against the run's status, so "the run finished" and "the connection broke" are told apart.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from cli.client import GatewayClient
from cli.errors import EXIT_UNREACHABLE, CliError
from cli.output import cell

MAX_RECONNECTS = 5
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 2.0, 3.0)
OPEN_STATUSES = {"running"}


def as_event_list(answer: Any) -> list[dict[str, Any]]:
    """The events of a ``GET .../events`` answer (a list, or ``{"events": [...]}``)."""
    events = answer.get("events", []) if isinstance(answer, dict) else answer
    return [e for e in events or [] if isinstance(e, dict)]


def format_event(event: dict[str, Any]) -> str:
    """One aligned line per event: seq, time, type, step, then the data as compact JSON."""
    data = event.get("data") or {}
    detail = json.dumps(data, ensure_ascii=False, separators=(", ", ": ")) if data else ""
    return (f"{event.get('seq', '?'):>4}  {cell(event.get('at'))}  {event.get('type')!s:<20} "
            f"{cell(event.get('step')):<20} {detail}").rstrip()


class _Printer:
    """Prints events once each, in seq order, and remembers the last seq printed."""

    def __init__(self, as_json: bool) -> None:
        self.last_seq = 0
        self._emit: Callable[[dict[str, Any]], str] = (
            (lambda e: json.dumps(e, ensure_ascii=False)) if as_json else format_event
        )

    def __call__(self, event: Any) -> None:
        if not isinstance(event, dict):
            return
        seq = event.get("seq")
        if isinstance(seq, int):
            if seq <= self.last_seq:
                return  # already printed before a reconnect
            self.last_seq = seq
        print(self._emit(event), flush=True)


def follow_events(client: GatewayClient, run_id: str, *, as_json: bool, sleep: Callable[[float], None] = time.sleep) -> None:
    """Stream the run's events until it ends; reconnect from the last seq when the stream drops."""
    path = f"/api/runs/{quote(run_id, safe='')}"
    printer = _Printer(as_json)
    failures = 0
    while True:
        try:
            for event in client.stream_sse(f"{path}/events", {"follow": "true", "after": str(printer.last_seq)}):
                printer(event)
                failures = 0
            # The stream ended by itself: catch up on anything missed, then see if the run is over.
            for event in as_event_list(client.get_json(f"{path}/events")):
                printer(event)
            if client.get_json(path).get("status") not in OPEN_STATUSES:
                return
            reason = "the event stream ended while the run is still open"
        except (httpx.TransportError, CliError) as exc:
            if isinstance(exc, CliError) and exc.exit_code != EXIT_UNREACHABLE and exc.code != "transport":
                raise  # a real answer (404, 401): reconnecting will not change it
            reason = "lost the connection to the gateway"
        if failures >= MAX_RECONNECTS:
            raise CliError(
                "stream_lost",
                f"{reason}; gave up after {MAX_RECONNECTS} reconnects (last event seq {printer.last_seq}); "
                f"resume with `dispatched run events {run_id} --follow`",
                exit_code=EXIT_UNREACHABLE,
            )
        print(f"note: {reason}; reconnecting from seq {printer.last_seq}", file=sys.stderr, flush=True)
        sleep(BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS) - 1)])
        failures += 1
