"""The request activity's trace: one span per attempt, and the ``traceparent`` it sends upstream.

An attempt is one activity attempt (a Temporal retry is a new span; redirects inside
one attempt are not). The span is a child of the SDK's ``RunActivity`` span, itself
in the trace the trigger carried (runtime/tracing.py), and its context goes upstream
as W3C ``traceparent``/``tracestate`` headers: only those two, never ``baggage``, whose
entries are the caller's and not for third parties.

What a span records, and why no more: URLs and headers carry secrets (a token in a query
string, a webhook URL whose path is the credential, an ``Authorization`` header) and
personal data (``/users/{{ input.email }}``). So a span has the method, the scheme, the
status, the step, the run and the attempt, and the host and port only when no secret
value contains them or is contained in them (the rule error messages follow,
activities/http.py); never a path, a query string, a header or a body. A failed
attempt's span says its error code (``error.type``), not its message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import httpx
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from contract.messages import RequestInput

TRACE_HEADERS = frozenset({"traceparent", "tracestate"})
_W3C = TraceContextTextMapPropagator()


@contextmanager
def attempt_span(tracer: trace.Tracer, input: RequestInput, *, attempt: int) -> Iterator[trace.Span]:
    """The current span for one attempt of ``input``'s request, named ``HTTP <METHOD>``.

    Exceptions are neither recorded nor turned into a status here (their messages hold
    URLs): the caller marks a failure with :func:`note_failure`.
    """
    attributes: dict[str, str | int] = {
        "http.request.method": input.method,
        "dispatched.run_id": input.run_id,
        "dispatched.workflow": input.workflow,
        "dispatched.step": input.step_id,
        "dispatched.attempt": attempt,
    }
    with tracer.start_as_current_span(
        f"HTTP {input.method}", kind=SpanKind.CLIENT, attributes=attributes,
        record_exception=False, set_status_on_exception=False,
    ) as span:
        yield span


def inject_trace_headers(headers: dict[str, str]) -> None:
    """Put the current span's ``traceparent`` (and ``tracestate``) in ``headers``.

    A document's own ``traceparent`` is replaced, whatever its case: the upstream's
    spans belong in the run's trace (SPEC §9). With no trace to continue (no caller's
    ``traceparent`` and nothing exported) no header is added.
    """
    for name in [name for name in headers if name.lower() in TRACE_HEADERS]:
        del headers[name]
    _W3C.inject(headers)


def note_target(span: trace.Span, url: httpx.URL, secret_values: Iterable[str]) -> None:
    """Record where the attempt goes: the scheme, and the host and port unless a secret
    holds them (a whole base URL kept as a secret is the usual case)."""
    span.set_attribute("url.scheme", url.scheme)
    host = url.host
    if host and not any(host in value or value in host for value in secret_values):
        span.set_attribute("server.address", host)
        if url.port is not None:
            span.set_attribute("server.port", url.port)


def note_status(span: trace.Span, status: int) -> None:
    """The upstream's status; 4xx and 5xx make the span an error (a client span's rule)."""
    span.set_attribute("http.response.status_code", status)
    if status >= 400:
        span.set_status(StatusCode.ERROR)


def note_failure(span: trace.Span, code: str) -> None:
    """A failed attempt: its error code (``transport``, ``http_status``, ...) and no message."""
    span.set_attribute("error.type", code)
    span.set_status(StatusCode.ERROR)
