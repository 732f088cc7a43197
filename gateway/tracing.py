"""The gateway's span per request, continuing the caller's W3C ``traceparent`` (SPEC §9).

A small ASGI middleware of our own rather than ``opentelemetry-instrumentation-asgi``
(a package and its instrumentation framework) or the OpenTelemetry middleware of
FastAPI and Starlette: each of those records the query string (``url.query``), where
a careless client puts a token, and each stops propagating when no SDK provider is
set, while the run must carry a caller's trace even then (runtime/tracing.py). This
one does the three things needed: extract ``traceparent``/``tracestate`` (never
``baggage``), make the request's span current for the handler, so the Temporal
client's interceptor puts it in the run's headers, and say what was answered.

A span has the method, the route template (``/workflows/{name}``, never the path that
was asked for), the status and the ``Dispatched-Run-Id`` the answer named; never a
query string, a header or a body.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import RUN_ID_HEADER

_W3C = TraceContextTextMapPropagator()
_TRACE_HEADERS = (b"traceparent", b"tracestate")
_RUN_ID_HEADER = RUN_ID_HEADER.lower().encode()


class TraceRequests:
    """Open a server span per HTTP request, as a child of the caller's ``traceparent``."""

    def __init__(self, app: ASGIApp, *, tracer: trace.Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {name.decode("latin-1"): value.decode("latin-1")
                   for name, value in scope["headers"] if name in _TRACE_HEADERS}
        method = str(scope["method"])
        with self.tracer.start_as_current_span(
            f"{method}", context=_W3C.extract(carrier), kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.scheme": str(scope.get("scheme", "http"))},
            record_exception=False, set_status_on_exception=False,  # a message may hold anything
        ) as span:

            async def send_and_note(message: Message) -> None:
                if message["type"] == "http.response.start":
                    _note_answer(span, message)
                await send(message)

            try:
                await self.app(scope, receive, send_and_note)
            except Exception as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(StatusCode.ERROR)
                raise
            finally:
                _note_route(span, method, scope)


def _note_answer(span: trace.Span, message: Message) -> None:
    status = int(message["status"])
    span.set_attribute("http.response.status_code", status)
    if status >= 500:  # a server span's rule: a 4xx is the caller's error, not ours
        span.set_status(StatusCode.ERROR)
    for name, value in message.get("headers", ()):
        if name.lower() == _RUN_ID_HEADER:
            span.set_attribute("dispatched.run_id", value.decode("latin-1"))


def _note_route(span: trace.Span, method: str, scope: Scope) -> None:
    """Name the span by the route's template once routing has picked one."""
    route: Any = scope.get("route")
    template = getattr(route, "path_format", None)
    if isinstance(template, str):
        span.update_name(f"{method} {template}")
        span.set_attribute("http.route", template)
