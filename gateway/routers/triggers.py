"""``POST /workflows/{name}``: the HTTP trigger.

The run lives in Temporal, never in this request: the start (and the wait for the
answer) runs in a task of its own that the request only awaits through a shield, so a
client that hangs up cancels nothing. The run id doubles as the Temporal workflow id,
so an idempotent repeat that reaches Temporal finds the same run.

The hot path reads the registry once after the session check
(``Workflows.trigger_view``: the current revision and the project's set secret names in
one statement); what that revision compiles to comes from the app's compiled cache, and
the idempotency table is touched only when the request has an ``Idempotency-Key``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from contract.errors import SECRETS_PENDING, RunFailed
from contract.headers import is_json, join_repeated
from contract.limits import DEFAULT_WAIT_SECONDS, MAX_IDEMPOTENCY_KEY_CHARS, MAX_WAIT_SECONDS
from contract.messages import PublishedResponse, RunInput, TriggerData
from gateway.deps import Caller, CompiledRevisionsDep, JsonBody, RegistryDep, RunClientDep, Runner, require_session
from gateway.errors import RUN_ID_HEADER, ApiError
from gateway.metrics import GatewayMetrics
from gateway.schemas import ErrorResponse, RunAccepted
from interpreter.client import RunClient
from interpreter.revisions import CompiledRevisions
from registry import Registry, TriggerView, WorkflowNotFound

logger = logging.getLogger("dispatched.gateway")
router = APIRouter(tags=["triggers"], dependencies=[Depends(require_session)])

T = TypeVar("T")
# Never kept in a run: its trigger data is in Temporal's history for everyone to read.
CREDENTIAL_HEADERS = frozenset({"dispatched-session", "authorization", "proxy-authorization", "cookie", "x-csrf-token"})
_IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY_CHARS}}}")
_UNSENDABLE = frozenset({"content-type", "content-length", "transfer-encoding", "connection", "dispatched-run-id"})
_background: set[asyncio.Task[Any]] = set()


@dataclass(frozen=True)
class Preferences:
    """What the client's ``Prefer`` headers (RFC 7240) ask for."""

    respond_async: bool = False
    wait: float = float(DEFAULT_WAIT_SECONDS)


def parse_prefer(values: list[str]) -> Preferences:
    """``respond-async`` and ``wait=N`` (seconds, capped at
    :data:`~contract.limits.MAX_WAIT_SECONDS`); unknown or malformed preferences are
    ignored, as RFC 7240 asks."""
    respond_async, wait = False, float(DEFAULT_WAIT_SECONDS)
    for value in values:
        for item in value.split(","):
            token, _, arg = item.split(";", 1)[0].strip().partition("=")
            token, arg = token.strip().lower(), arg.strip().strip('"')
            if token == "respond-async":
                respond_async = True
            elif token == "wait" and re.fullmatch(r"\d+(\.\d+)?", arg):
                wait = min(float(arg), MAX_WAIT_SECONDS)
    return Preferences(respond_async, wait)


def trigger_headers(request: Request) -> dict[str, str]:
    """Lower-cased request headers minus credentials; repeats joined with ', '
    (:func:`contract.headers.join_repeated`, as for an upstream's response headers)."""
    return join_repeated((name, value) for name, value in request.headers.items() if name not in CREDENTIAL_HEADERS)


async def detached(work: Coroutine[Any, Any, T]) -> T:
    """Await ``work`` in its own task, so cancelling the request does not cancel it."""
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_settle)
    return await asyncio.shield(task)


def _settle(task: asyncio.Task[Any]) -> None:
    _background.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: an abandoned task's failure is not an unhandled error


def _accepted(run_id: str, *, applied: str | None = None) -> JSONResponse:
    headers = {RUN_ID_HEADER: run_id}
    if applied:
        headers["Preference-Applied"] = applied
    return JSONResponse(RunAccepted(run_id=run_id).model_dump(), status_code=202, headers=headers)


def published_response(published: PublishedResponse, run_id: str) -> Response:
    """The run's answer as HTTP: JSON bodies encoded, strings sent as text."""
    headers = {k: str(v) for k, v in published.headers.items() if k.lower() not in _UNSENDABLE}
    headers[RUN_ID_HEADER] = run_id
    body = published.body
    if published.status in (204, 304) or published.status < 200:
        content = b""
    elif is_json(published.content_type):
        content = json.dumps(body, ensure_ascii=False).encode()
    elif isinstance(body, str):
        content = body.encode()
    else:
        content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    return Response(content, status_code=published.status, headers=headers, media_type=published.content_type)


@router.post(
    "/workflows/{name}",
    summary="Trigger a run",
    response_model=None,
    responses={
        200: {"description": "the run's published response (status, headers and body set by the workflow)"},
        202: {"model": RunAccepted, "description": "started; no answer yet (respond-async, or past Prefer: wait)"},
        400: {"model": ErrorResponse}, 401: {"model": ErrorResponse}, 403: {"model": ErrorResponse},
        404: {"model": ErrorResponse}, 409: {"model": ErrorResponse, "description": "secrets_pending: set them first"},
        413: {"model": ErrorResponse}, 422: {"model": ErrorResponse},
        502: {"model": ErrorResponse, "description": "the run failed before answering"},
    },
)
async def trigger(
    name: str,
    request: Request,
    body: JsonBody,
    registry: RegistryDep,
    runs: RunClientDep,
    revisions: CompiledRevisionsDep,
    caller: Runner,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """Start a run of workflow ``name`` with the JSON body as ``trigger.body``."""
    current = await registry.workflows.trigger_view(caller.project, name)
    if current is None:
        raise WorkflowNotFound(name)  # unknown names are not counted
    started, outcome = time.monotonic(), "refused"
    try:
        answer = await _start(name, request, body, registry, runs, revisions, caller, current, idempotency_key)
        outcome = "accepted" if answer.status_code == 202 else "answered"
        return answer
    except RunFailed:
        outcome = "failed"
        raise
    finally:
        metrics: GatewayMetrics = request.app.state.metrics
        metrics.trigger(name, caller.project, outcome, time.monotonic() - started)


async def _start(
    name: str, request: Request, body: Any, registry: Registry, runs: RunClient, revisions: CompiledRevisions,
    caller: Caller, current: TriggerView, idempotency_key: str | None,
) -> Response:
    """The trigger once its workflow is known: refuse, or start and answer."""
    compiled = await revisions.load(
        caller.project, name, current.revision,
        lambda: registry.workflows.document_json(caller.project, name, current.revision),
    )
    if pending := current.pending(compiled.secrets):
        raise ApiError(
            409, SECRETS_PENDING,
            f"workflow {name!r} uses secrets that are not set yet: {', '.join(pending)}; "
            "set them (PUT /api/secrets/NAME) and trigger again",
        )
    run_id = RunClient.new_run_id()
    if idempotency_key is not None:
        if not _IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise ApiError(
                400, "invalid_idempotency_key",
                f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters",
            )
        claim = await registry.idempotency.claim(caller.project, name, idempotency_key, body=body, run_id=run_id)
        run_id = claim.run_id
    run = RunInput(
        run_id=run_id,
        workflow=name,
        revision=current.revision,
        document=compiled.document,
        trigger=TriggerData(body=body, headers=trigger_headers(request), query=dict(request.query_params)),
        project=caller.project,
    )
    logger.info("run triggered", extra={"run_id": run_id, "workflow": name, "project": caller.project})
    preferences = parse_prefer(request.headers.getlist("prefer"))
    if preferences.respond_async:
        await detached(runs.start(run))
        return _accepted(run_id, applied="respond-async")
    # DISPATCHED_EAGER_START: the gateway's own worker takes the first workflow task at once
    # (two calls: update-with-start cannot be eager); else one update-with-start call.
    eager = request.app.state.settings.eager_start
    wait = runs.start_eagerly_and_wait_response if eager else runs.start_and_wait_response
    published = await detached(wait(run, timeout=preferences.wait))
    if published is None:
        return _accepted(run_id)
    return published_response(published, run_id)
