"""The run's bookkeeping: states and events move together; the inbox keeps order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml

from contract.document import Document
from contract.messages import ErrorInfo, RunInput, TriggerData
from interpreter.run_book import RunBook

DOC = Document.model_validate(yaml.safe_load("""
name: book
version: 4
steps:
  a: {request: {url: "http://x"}}
  w: {after: [a], wait: {any: [yes-please, no-thanks]}}
"""))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _book() -> RunBook:
    run = RunInput(run_id="run_1", workflow="book", revision=2, document=DOC, trigger=TriggerData(body={"k": 1}))
    return RunBook(run, Clock())


def test_step_lifecycle_updates_state_and_events_together() -> None:
    book = _book()
    book.start("a")
    book.complete("a", attempts=2, response={"status": 200, "headers": {}, "body": {"id": 1}})
    state = book.state()
    assert (state.steps["a"].status, state.steps["a"].attempts) == ("completed", 2)
    assert state.steps["a"].started_at < state.steps["a"].finished_at  # type: ignore[operator]
    assert [e.type for e in book.events] == ["step.started", "step.completed"]
    assert [e.seq for e in book.events] == [1, 2]
    assert book.context()["steps"]["a"]["response"]["body"] == {"id": 1}
    assert book.context()["steps"]["w"] == {"status": "pending"}
    assert book.context()["trigger"]["body"] == {"k": 1}
    assert (state.version, state.revision) == (4, 2)


def test_inbox_consumes_the_oldest_matching_signal_once() -> None:
    book = _book()
    book.receive("other", 1)
    book.receive("no-thanks", 2)
    book.receive("yes-please", 3)
    assert book.has(["yes-please", "no-thanks"])
    taken = book.take(["yes-please", "no-thanks"])
    assert taken is not None and (taken.name, taken.body) == ("no-thanks", 2)
    assert [s.name for s in book.inbox] == ["other", "yes-please"]


def test_close_lists_unconsumed_signals_and_cancels_unfinished_steps() -> None:
    book = _book()
    book.start("a")
    book.receive("stray", None)
    book.cancel_unfinished()
    book.close("failed", ErrorInfo(code="step_failed", message="boom"))
    types = [e.type for e in book.events]
    assert types[-4:] == ["step.cancelled", "step.cancelled", "signal.unconsumed", "run.failed"]
    assert book.state().status == "failed" and book.events_after(0).closed
    assert [e.seq for e in book.events_after(len(book.events) - 1).events] == [len(book.events)]
