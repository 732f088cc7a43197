"""The gateway's access log: one JSON line per HTTP request, with nothing secret in it.

uvicorn's own access log stays off (gateway/server.py): its lines carry the query string,
and the query string is where a careless client puts a token (``?token=``) and where the
runs list puts its filters. This middleware logs what an operator needs and no more:
the method, the path without its query string, the status, the time taken, the project
the caller acted on and the run the path names. Headers (``Dispatched-Session``, the
console's cookie) and bodies are never read, so no token or payload can reach a line.

It is plain ASGI rather than Starlette's ``BaseHTTPMiddleware`` so that a streamed answer
(the run's server-sent events) is logged once, when it ends, with its real duration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("dispatched.access")

# Where the routers leave the caller's project for this log (gateway/deps.py).
PROJECT_STATE_KEY = "project"


class AccessLog:
    """Log each HTTP request once it is answered (or failed) at INFO, as ``dispatched.access``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before it answers
        answered = False

        async def send_and_note(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = int(message["status"]), True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            _log(scope, state, status if answered else 500, time.perf_counter() - started)


def _log(scope: Scope, state: MutableMapping[str, Any], status: int, seconds: float) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    method, path = scope["method"], scope["path"]  # ASGI's path never includes the query string
    duration_ms = round(seconds * 1000, 1)
    fields: dict[str, Any] = {"method": method, "path": path, "status": status, "duration_ms": duration_ms}
    project = state.get(PROJECT_STATE_KEY)
    if project is not None:
        fields["project"] = project
    run_id = (scope.get("path_params") or {}).get("run_id")
    if run_id is not None:
        fields["run_id"] = run_id
    logger.info("%s %s %d %.1f ms", method, path, status, duration_ms, extra=fields)
