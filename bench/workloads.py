"""The bench workloads as Dispatched documents, with the matching hand-written stages.

Every request step POSTs the previous step's status, as a real chain passes data on,
and the run answers with the last step's body. The hand-written workflow (see
:mod:`bench.baseline`) does the same calls with the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.baseline import stages_for
from contract.document import Document

WAIT_SIGNAL = "go"


@dataclass(frozen=True)
class Workload:
    """One shape of run: ``kind`` is ``linear``, ``fanout`` or ``wait``; ``steps`` counts
    request steps; ``delay_ms`` picks the upstream."""

    kind: str
    steps: int
    delay_ms: int = 0

    @property
    def name(self) -> str:
        shape = {"linear": f"linear-{self.steps}", "fanout": f"fanout-{self.steps}-join", "wait": "wait-signal"}[self.kind]
        return f"{shape}@{self.delay_ms}ms"

    @property
    def request_count(self) -> int:
        """HTTP calls per run (a fan-out adds its join call)."""
        return self.steps + 1 if self.kind == "fanout" else self.steps

    def stages(self, url: str) -> list[list[str]]:
        return stages_for("fanout" if self.kind == "fanout" else "linear", self.steps, url)

    def document(self, url: str, *, local: bool = False) -> Document:
        return Document.model_validate(document_data(self, url, local=local))


def _request(url: str, previous: str | None, local: bool = False) -> dict[str, Any]:
    body = {"previous": f"{{{{ steps.{previous}.response.status }}}}" if previous else 0}
    return {"method": "POST", "url": url, "body": body, **({"local": True} if local else {})}


def document_data(workload: Workload, url: str, *, local: bool = False) -> dict[str, Any]:
    """The workload as the JSON form of a document (what the gateway registers);
    ``local`` makes every request step a local activity (``local: true``)."""
    name = "bench-" + workload.name.replace("@", "-at-").replace("ms", "") + ("-local" if local else "")
    steps: dict[str, Any] = {}
    if workload.kind == "fanout":
        fan = [f"f{i}" for i in range(1, workload.steps + 1)]
        steps.update({sid: {"request": _request(url, None, local)} for sid in fan})
        steps["join"] = {"after": fan, "request": _request(url, fan[-1], local)}
        last = "join"
    else:
        previous: str | None = None
        if workload.kind == "wait":
            steps["w"] = {"wait": {"signal": WAIT_SIGNAL, "timeout": "1h"}}
            previous = "w"
        for i in range(1, workload.steps + 1):
            sid = f"s{i}"
            step: dict[str, Any] = {"request": _request(url, previous if previous != "w" else None, local)}
            if previous:
                step["after"] = [previous]
            steps[sid] = step
            previous = sid
        last = previous or ""
    return {"name": name, "version": 1, "steps": steps, "response": {"status": 200, "body": f"{{{{ steps.{last}.response.body }}}}"}}


def large_document(steps: int, url: str, *, lanes: int = 20) -> dict[str, Any]:
    """A ``steps``-step document: ``lanes`` parallel chains of request steps, each
    templating its parent's answer and gated by a ``when`` on it, then one respond step
    after every chain."""
    lanes = max(min(lanes, steps - 1), 1)
    sizes = [(steps - 1) // lanes + (1 if lane < (steps - 1) % lanes else 0) for lane in range(lanes)]
    doc_steps: dict[str, Any] = {}
    tails: list[str] = []
    for lane, size in enumerate(sizes):
        previous: str | None = None
        for i in range(size):
            sid = f"l{lane}_s{i}"
            step: dict[str, Any] = {"request": _request(url, previous)}
            if previous:
                step["after"] = [previous]
                step["when"] = f"steps.{previous}.response.status == 200"
            doc_steps[sid] = step
            previous = sid
        if previous:
            tails.append(previous)
    doc_steps["done"] = {"after": tails, "respond": {"body": {"done": True}}}
    return {"name": "bench-large", "version": 1, "steps": doc_steps}
