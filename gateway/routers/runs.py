"""``/api/runs``: inspect, follow, signal and cancel runs.

Every route acts on the caller's project only (SPEC §6): :class:`~interpreter.client.RunClient`
answers :class:`~contract.errors.RunNotFound` (404) for another project's run exactly as
for a missing one. Reading needs the ``read`` role, signalling and cancelling ``run``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse

from contract.errors import RunNotFound
from contract.identifiers import signal_name_problem
from contract.limits import MAX_SIGNAL_BYTES
from contract.messages import Event, EventsPage, RunState, RunStatus
from gateway.deps import JsonBody, RawBody, Reader, RunClientDep, Runner, require_session
from gateway.errors import ApiError
from gateway.schemas import CancelAccepted, ErrorResponse, SignalAccepted
from interpreter.client import RunClient, RunSummary

router = APIRouter(prefix="/api/runs", tags=["runs"], dependencies=[Depends(require_session)])

POLL_INTERVAL = 0.25
KEEPALIVE_INTERVAL = 15.0
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse},
}


@router.get("", response_model=list[RunSummary], summary="Recent runs")
async def list_runs(
    runs: RunClientDep,
    caller: Reader,
    workflow: str | None = None,
    status: RunStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[RunSummary]:
    """The project's recent runs from Temporal visibility, newest first, filterable by
    workflow and status."""
    found = await runs.list_runs(project=caller.project, workflow=workflow, status=status, limit=limit)
    return found


@router.get("/{run_id}", response_model=RunState, responses=_ERRORS, summary="A run's step states")
async def get_run(run_id: str, runs: RunClientDep, caller: Reader) -> RunState:
    """Status of the run and each step (never step output)."""
    return await runs.state(run_id, project=caller.project)


@router.get(
    "/{run_id}/events",
    response_model=list[Event],
    responses={**_ERRORS, 200: {"content": {"text/event-stream": {}}, "description": "with follow=true: SSE"}},
    summary="A run's event log",
)
async def get_events(
    run_id: str,
    runs: RunClientDep,
    caller: Reader,
    follow: bool = False,
    after: Annotated[int, Query(ge=0, description="only events with seq > after")] = 0,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> list[Event] | StreamingResponse:
    """Oldest first. ``follow=true`` streams them as server-sent events until the run ends;
    a reconnecting EventSource resumes after its ``Last-Event-ID``."""
    if follow and last_event_id and last_event_id.isdigit():
        after = max(after, int(last_event_id))
    project = caller.project
    page = await runs.events(run_id, project=project, after=after)  # 404 before any stream starts
    if not follow:
        return await _all_events(runs, run_id, project, page)
    return StreamingResponse(
        _stream(runs, run_id, project, page, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _all_events(runs: RunClient, run_id: str, project: str, page: EventsPage) -> list[Event]:
    """Every event from the first page on (the engine may answer in pages)."""
    events = list(page.events)
    while page.events:
        page = await runs.events(run_id, project=project, after=page.events[-1].seq)
        events.extend(page.events)
    return events


async def _stream(runs: RunClient, run_id: str, project: str, page: EventsPage, after: int) -> AsyncIterator[str]:
    """One ``data:`` frame per event; polls every 250 ms; ends once the run is closed
    and every event was sent. Every poll is checked against the caller's project."""
    last_seq = after
    last_sent = time.monotonic()
    while True:
        for event in page.events:
            yield f"id: {event.seq}\ndata: {event.model_dump_json()}\n\n"
            last_seq, last_sent = event.seq, time.monotonic()
        if page.closed and not page.events:
            return
        if not page.events:
            await asyncio.sleep(POLL_INTERVAL)
            if time.monotonic() - last_sent > KEEPALIVE_INTERVAL:
                yield ": keepalive\n\n"  # keeps proxies from closing an idle stream
                last_sent = time.monotonic()
        try:
            page = await runs.events(run_id, project=project, after=last_seq)
        except RunNotFound:
            return


@router.post(
    "/{run_id}/signal/{name}",
    status_code=202,
    response_model=SignalAccepted,
    responses={**_ERRORS, 409: {"model": ErrorResponse}, 413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="Send a signal to a run",
)
async def signal_run(
    run_id: str, name: str, caller: Runner, runs: RunClientDep, payload: JsonBody, raw: RawBody
) -> SignalAccepted:
    """The JSON body is the payload; the same Temporal signal as ``temporal workflow signal``."""
    if len(raw) > MAX_SIGNAL_BYTES:  # the run would only reject it (contract.limits)
        raise ApiError(413, "body_too_large", f"the signal payload is over the {MAX_SIGNAL_BYTES // 1024} KiB limit")
    problem = signal_name_problem(name)
    if problem is not None:
        raise ApiError(422, "invalid_signal_name", f"invalid signal name {name!r}: {problem}")
    await runs.signal(run_id, name, payload, project=caller.project)
    return SignalAccepted(run_id=run_id, signal=name)


@router.post(
    "/{run_id}/cancel",
    status_code=202,
    response_model=CancelAccepted,
    responses={**_ERRORS, 409: {"model": ErrorResponse}},
    summary="Cancel a run",
)
async def cancel_run(run_id: str, runs: RunClientDep, caller: Runner) -> CancelAccepted:
    """Ask the run to cancel; running steps are cancelled and the run ends ``cancelled``."""
    await runs.cancel(run_id, project=caller.project)
    return CancelAccepted(run_id=run_id)
