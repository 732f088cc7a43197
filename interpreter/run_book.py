"""The bookkeeping of one run: step states, the event log, the signal inbox and what
finished steps produced. Plain state with no Temporal import, so the workflow stays a
thin interpreter and this part is tested on its own.

Every change goes through a method that also writes the matching event, so the state
and the event log cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contract.messages import ErrorInfo, Event, EventsPage, RunInput, RunState, RunStatus, StepState, StepStatus

TERMINAL: frozenset[StepStatus] = frozenset({"completed", "skipped", "failed", "cancelled"})


@dataclass
class InboxSignal:
    """A signal received and not yet consumed by a wait step."""

    name: str
    body: Any
    received_at: datetime


StepFinished = Callable[[str, str, StepStatus, timedelta | None], None]
"""Told of each step that reaches a final state: its id, kind, status and run time."""


class RunBook:
    def __init__(self, run: RunInput, clock: Callable[[], datetime], *, on_step_finished: StepFinished | None = None) -> None:
        self.run = run
        self.clock = clock
        self._on_step_finished = on_step_finished
        self.started_at = clock()
        self.closed_at: datetime | None = None
        self.status: RunStatus = "running"
        self.error: ErrorInfo | None = None
        self.steps: dict[str, StepState] = {sid: StepState() for sid in run.document.steps}
        self.events: list[Event] = []
        self.inbox: list[InboxSignal] = []
        # The template context, kept current as steps change rather than rebuilt per
        # read: rebuilding made a 1,000-step run quadratic (bench/README.md). Readers
        # (expressions, templates) never mutate it.
        self._context: dict[str, Any] = {
            "trigger": run.trigger.model_dump(mode="json"),
            "steps": {sid: {"status": "pending"} for sid in run.document.steps},
            "run": {"id": run.run_id, "workflow": run.workflow},
        }

    # -- events -----------------------------------------------------------------
    def emit(self, type: str, step: str | None = None, **data: Any) -> None:
        self.events.append(Event(seq=len(self.events) + 1, at=self.clock(), type=type, step=step, data=data))

    def events_after(self, after: int) -> EventsPage:
        return EventsPage(events=self.events[max(after, 0):], closed=self.status != "running")

    # -- steps ------------------------------------------------------------------
    def start(self, step_id: str, status: StepStatus = "running") -> None:
        state = self.steps[step_id]
        kind = self.run.document.steps[step_id].kind
        self._set_status(step_id, status)
        state.started_at = self.clock()
        if kind == "request":  # attempts count HTTP attempts; waits and responds have none
            state.attempts = 1
        self.emit("step.started", step_id, kind=kind)
        if status == "waiting":
            self.emit("step.waiting", step_id)

    def complete(self, step_id: str, *, attempts: int | None = None, **output: Any) -> None:
        state = self.steps[step_id]
        self._set_status(step_id, "completed")
        state.finished_at = self.clock()
        if attempts is not None:
            state.attempts = attempts
        self._context["steps"][step_id].update(output)
        self.emit("step.completed", step_id)

    def skip(self, step_id: str, reason: str) -> None:
        self._set_status(step_id, "skipped")
        self.steps[step_id].finished_at = self.clock()
        self.emit("step.skipped", step_id, reason=reason)

    def fail(self, step_id: str, error: ErrorInfo, *, attempts: int | None = None) -> None:
        state = self.steps[step_id]
        self._set_status(step_id, "failed")
        state.finished_at, state.error = self.clock(), error
        if attempts is not None:
            state.attempts = attempts
        self.emit("step.failed", step_id, code=error.code, message=error.message)

    def cancel_unfinished(self) -> None:
        for step_id, state in self.steps.items():
            if state.status not in TERMINAL:
                self._set_status(step_id, "cancelled")
                state.finished_at = self.clock()
                self.emit("step.cancelled", step_id)

    def _set_status(self, step_id: str, status: StepStatus) -> None:
        state = self.steps[step_id]
        state.status = status
        self._context["steps"][step_id]["status"] = status
        if status in TERMINAL and self._on_step_finished is not None:
            ran = self.clock() - state.started_at if state.started_at is not None else None
            self._on_step_finished(step_id, self.run.document.steps[step_id].kind, status, ran)

    def status_of(self, step_id: str) -> StepStatus:
        return self.steps[step_id].status

    # -- signals ----------------------------------------------------------------
    def receive(self, name: str, body: Any) -> None:
        self.inbox.append(InboxSignal(name, body, self.clock()))
        self.emit("signal.received", name=name)

    def take(self, names: Iterable[str]) -> InboxSignal | None:
        """Consume the oldest waiting signal with one of ``names`` (one signal wakes one wait)."""
        wanted = set(names)
        for index, signal in enumerate(self.inbox):
            if signal.name in wanted:
                return self.inbox.pop(index)
        return None

    def has(self, names: Iterable[str]) -> bool:
        wanted = set(names)
        return any(signal.name in wanted for signal in self.inbox)

    # -- the whole run ----------------------------------------------------------
    def context(self) -> dict[str, Any]:
        """What templates and `when` read (secrets excepted: only activities see them)."""
        return self._context

    def close(self, status: RunStatus, error: ErrorInfo | None = None) -> None:
        for signal in self.inbox:
            self.emit("signal.unconsumed", name=signal.name, received_at=signal.received_at.isoformat())
        self.status, self.error, self.closed_at = status, error, self.clock()
        self.emit(f"run.{status}", **({"code": error.code, "message": error.message} if error else {}))

    def state(self) -> RunState:
        return RunState(
            run_id=self.run.run_id,
            workflow=self.run.workflow,
            version=self.run.document.version,
            revision=self.run.revision,
            status=self.status,
            error=self.error,
            started_at=self.started_at,
            closed_at=self.closed_at,
            steps={sid: st.model_copy() for sid, st in self.steps.items()},
        )
