"""Durable timers as a run sees them: a ``Dispatched-Delay`` and a wait step's timeout.

Both are Temporal timers, so both are only as punctual as the server's timer queue
(``history.timerProcessorMaxTimeShift`` and the timer poll rate, see
``cli/dev/temporal_server.py``). The figures come from the run's history, whose event
times the server stamps, so the measuring process's own load does not enter them:

* delay: a request step answered with ``Dispatched-Delay: 250ms`` (its
  ``ACTIVITY_TASK_COMPLETED``) → the next step scheduled (``ACTIVITY_TASK_SCHEDULED``);
* wait timeout: a wait step with ``timeout: 250ms`` (its timer started) → the step
  after it scheduled, in the workflow task that recorded the timeout;
* for each, the bare timer too (``TIMER_STARTED`` → ``TIMER_FIRED``).
"""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory

from bench.stats import percentile
from bench.upstream import DELAY_PATH
from bench.variants import run_input
from contract.document import Document
from contract.messages import RunResult
from interpreter.client import RunClient

TIMER = "250ms"
TIMER_MS = 250.0


def delay_document(base_url: str, timer: str = TIMER) -> Document:
    """``first`` is answered with ``Dispatched-Delay: <timer>`` (and accepts it); ``second`` follows."""
    return Document.model_validate({
        "name": "bench-delay", "version": 1,
        "steps": {
            "first": {"request": {"method": "POST", "url": f"{base_url}{DELAY_PATH}{timer}"}, "directives": ["delay"]},
            "second": {"after": ["first"], "request": {"method": "POST", "url": f"{base_url}/step"}},
        },
    })


def wait_timeout_document(base_url: str, timer: str = TIMER) -> Document:
    """``idle`` waits for a signal nobody sends, ``timeout: <timer>``, then carries on to ``after``."""
    return Document.model_validate({
        "name": "bench-wait-timeout", "version": 1,
        "steps": {
            "idle": {"wait": {"signal": "never-sent", "timeout": timer, "on_timeout": "continue"}},
            "after": {"after": ["idle"], "request": {"method": "POST", "url": f"{base_url}/step"}},
        },
    })


def _ms(event: HistoryEvent) -> float:
    return float(event.event_time.ToMicroseconds()) / 1000


def _scheduled(history: WorkflowHistory, activity_id: str) -> HistoryEvent:
    for event in history.events:
        if (event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                and event.activity_task_scheduled_event_attributes.activity_id == activity_id):
            return event
    raise ValueError(f"step {activity_id!r} was never scheduled in run {history.workflow_id}")


def _completed(history: WorkflowHistory, scheduled: HistoryEvent) -> HistoryEvent:
    for event in history.events:
        if (event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
                and event.activity_task_completed_event_attributes.scheduled_event_id == scheduled.event_id):
            return event
    raise ValueError(f"activity {scheduled.event_id} never completed in run {history.workflow_id}")


def _only(history: WorkflowHistory, kind: EventType.ValueType) -> HistoryEvent:
    found = [event for event in history.events if event.event_type == kind]
    if len(found) != 1:
        raise ValueError(f"run {history.workflow_id} has {len(found)} {EventType.Name(kind)} events, expected 1")
    return found[0]


def delay_figures(history: WorkflowHistory) -> tuple[float, float]:
    """(answered → next step scheduled, bare timer) in ms, from one delay run's history."""
    answered = _completed(history, _scheduled(history, "first"))
    next_step = _scheduled(history, "second")
    timer = _ms(_only(history, EventType.EVENT_TYPE_TIMER_FIRED)) - _ms(_only(history, EventType.EVENT_TYPE_TIMER_STARTED))
    return _ms(next_step) - _ms(answered), timer


def wait_timeout_figures(history: WorkflowHistory) -> tuple[float, float]:
    """(wait started → the step after it scheduled, bare timer) in ms, from one wait-timeout run."""
    started = _only(history, EventType.EVENT_TYPE_TIMER_STARTED)
    fired = _only(history, EventType.EVENT_TYPE_TIMER_FIRED)
    return _ms(_scheduled(history, "after")) - _ms(started), _ms(fired) - _ms(started)


async def _histories(client: Client, task_queue: str, document: Document, runs: int) -> list[WorkflowHistory]:
    starter = RunClient(client, task_queue=task_queue)
    histories = []
    for _ in range(runs):
        handle = client.get_workflow_handle(await starter.start(run_input(document)), result_type=RunResult)
        await handle.result()
        histories.append(await handle.fetch_history())
    return histories


def _summary(values: list[float]) -> dict[str, float]:
    return {"samples": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "p99": percentile(values, 99)}


async def measure_timers(client: Client, task_queue: str, base_url: str, *, runs: int) -> dict[str, Any]:
    """``runs`` runs of each document, one at a time, on the Dispatched worker of ``task_queue``."""
    delays = [delay_figures(h) for h in await _histories(client, task_queue, delay_document(base_url), runs)]
    waits = [wait_timeout_figures(h) for h in await _histories(client, task_queue, wait_timeout_document(base_url), runs)]
    return {
        "timer_ms": TIMER_MS,
        "delay_to_next_step_ms": _summary([d for d, _ in delays]),
        "delay_timer_ms": _summary([t for _, t in delays]),
        "wait_timeout_to_next_step_ms": _summary([w for w, _ in waits]),
        "wait_timer_ms": _summary([t for _, t in waits]),
    }
