"""Traces (SPEC §9): one tracer provider per process, handed explicitly to what makes spans.

A W3C ``traceparent`` on a trigger continues through the run: the gateway's middleware
(gateway/tracing.py) extracts it and opens the request's span; the Temporal SDK's
``TracingInterceptor``, set on the client, carries that context in the headers of the
update-with-start, into the workflow and on to each activity it schedules (workers built
from the client get the interceptor, so nothing is set twice); the request activity
(activities/http.py) opens one span per attempt and sends its ``traceparent`` upstream.

Spans are exported over OTLP/HTTP only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set
(:attr:`~runtime.settings.Settings.otlp_endpoint`), to ``<endpoint>/v1/traces`` as
OpenTelemetry's convention has it; the exporter reads its other variables itself
(``OTEL_EXPORTER_OTLP_HEADERS``, ``_TIMEOUT``, ``_CERTIFICATE``, ``_COMPRESSION``) and
``OTEL_SERVICE_NAME`` names the process (default ``dispatched-gateway`` or
``dispatched-worker``). Spans leave in batches, from a thread of the SDK's. With nothing set there is no SDK provider, no exporter and no
network: the API's no-op tracer makes no span, yet it still hands on the context it was
given, so a trigger's ``traceparent`` reaches the upstream all the same (with the
caller's own span as the parent) and a trigger without one adds nothing to any header.

Exception messages never leave the process: the SDK's interceptor records an exception
event (message, stack trace) on a failed activity or workflow span, and a failure's
message names the URL it called, path and all. Every exporter is wrapped so a span
goes out with the exception's type only and no status description
(:func:`exporting_provider`); the run's own record keeps the message.

The provider is never made OpenTelemetry's global one. Everything that traces gets it
from a :class:`Tracing` (the gateway app, the client's interceptor) or from the client
(:func:`client_tracer`, for the worker's HTTP spans), so a test can give each stack its
own in-memory provider, and FastAPI's native instrumentation, which follows the global
provider and records query strings, never switches itself on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status
from temporalio.client import Client
from temporalio.client import Interceptor as ClientInterceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from runtime.settings import Settings

TRACER_NAME = "dispatched"
GATEWAY_SERVICE = "dispatched-gateway"
WORKER_SERVICE = "dispatched-worker"
_MESSAGE_ATTRIBUTES = frozenset({"exception.message", "exception.stacktrace"})


@dataclass(frozen=True)
class Tracing:
    """A process's tracing: its provider, and the client interceptor that uses it.

    ``owned`` says whether :meth:`shutdown` should flush and close the provider (one
    this module made for OTLP); a provider a caller passed in is the caller's to close.
    """

    provider: trace.TracerProvider
    owned: bool = False
    tracer: trace.Tracer = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tracer", self.provider.get_tracer(TRACER_NAME))

    @property
    def interceptors(self) -> Sequence[ClientInterceptor]:
        """For ``Client.connect``: the SDK's interceptor, on this provider's tracer.

        It is there even when nothing is exported: it is what carries a caller's
        ``traceparent`` from the gateway to the activities (see the module docstring).
        """
        return [TracingInterceptor(self.tracer)]

    def shutdown(self) -> None:
        """Export what is still buffered and stop the exporter (processes call this last)."""
        if self.owned and isinstance(self.provider, TracerProvider):
            self.provider.shutdown()


def no_tracing() -> Tracing:
    """Tracing that records nothing but still passes a caller's context on."""
    return Tracing(trace.NoOpTracerProvider())


def setup_tracing(settings: Settings, *, service_name: str) -> Tracing:
    """The process's tracing from ``settings``: OTLP when configured, else :func:`no_tracing`.

    Called once per process, by ``dispatched gateway`` and ``dispatched worker`` (so by
    ``dispatched dev``'s children too). ``service_name`` is the default ``service.name``;
    ``OTEL_SERVICE_NAME`` or ``OTEL_RESOURCE_ATTRIBUTES`` override it.
    """
    if settings.otlp_endpoint is None:
        return no_tracing()
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: service_name}))
    exporter = OTLPSpanExporter(endpoint=traces_endpoint(settings.otlp_endpoint))
    return Tracing(exporting_provider(exporter, resource=resource), owned=True)


def exporting_provider(exporter: SpanExporter, *, resource: Resource | None = None, batch: bool = True) -> TracerProvider:
    """An SDK provider sending its spans to ``exporter`` without exception messages.

    ``batch=False`` exports each span as it ends (tests, with an in-memory exporter).
    """
    provider = TracerProvider(resource=resource)
    quiet = _WithoutMessages(exporter)
    provider.add_span_processor(BatchSpanProcessor(quiet) if batch else SimpleSpanProcessor(quiet))
    return provider


def traces_endpoint(base: str) -> str:
    """Where OTLP/HTTP spans go for the base ``OTEL_EXPORTER_OTLP_ENDPOINT``."""
    return base.rstrip("/") + "/v1/traces"


def client_tracer(client: Client) -> trace.Tracer:
    """The tracer of ``client``'s tracing interceptor, else a no-op one.

    The worker's HTTP spans (activities/http.py) use it, so they go wherever the spans
    of the client's workflows and activities go, with no second setting to keep in step.
    """
    for interceptor in client.config()["interceptors"]:
        if isinstance(interceptor, TracingInterceptor):
            return interceptor.tracer
    return trace.NoOpTracer()


class _WithoutMessages(SpanExporter):
    """Hands spans to ``inner`` with exception events cut to their type and no status
    description: both hold an exception's message (see the module docstring)."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([_without_messages(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _without_messages(span: ReadableSpan) -> ReadableSpan:
    events = [
        Event(event.name, {k: v for k, v in (event.attributes or {}).items() if k not in _MESSAGE_ATTRIBUTES}, event.timestamp)
        for event in span.events
    ]
    return ReadableSpan(
        name=span.name, context=span.context, parent=span.parent, resource=span.resource,
        attributes=span.attributes, events=events, links=span.links, kind=span.kind,
        status=Status(span.status.status_code), start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
