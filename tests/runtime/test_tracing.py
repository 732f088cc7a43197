"""Traces end to end (SPEC §9): a trigger's ``traceparent`` continues through the run.

The real thing on loopback: the gateway under uvicorn, a worker built from a client that
carries the tracing interceptor, the session's Temporal dev server, a real upstream, and
an in-memory exporter on a provider of the test's own (never the process-global one).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Replayer

from contract.names import REQUEST_ACTIVITY
from gateway.app import create_app
from interpreter.workflow import DispatchedRun
from registry import Registry
from runtime.registry_adapters import RegistrySecretStore, RegistryWorkflowCatalog
from runtime.settings import Settings
from runtime.tracing import Tracing, exporting_provider, no_tracing, setup_tracing
from runtime.worker import create_worker
from tests.gateway.conftest import serving_app
from tests.upstream import Reply, Upstream

TOKEN = "tracing-test-token"
START_STEP = f"StartActivity:{REQUEST_ACTIVITY}"  # the SDK interceptor's names, one step's attempts
RUN_STEP = f"RunActivity:{REQUEST_ACTIVITY}"
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
QUERY_CANARY = "query-canary-1d9e"
PATH_CANARY = "ord-path-canary-77"

# One step to a literal loopback URL whose path carries trigger data and whose query and
# header carry a secret; a second, a local activity, to a base URL kept as a secret.
DOCUMENT = """\
name: traced
steps:
  charge:
    request:
      method: POST
      url: "{upstream}/orders/{{{{ trigger.body.order }}}}"
      query: {{key: "{{{{ secrets.API_KEY }}}}", page: "2"}}
      headers: {{Authorization: "Bearer {{{{ secrets.API_KEY }}}}", traceparent: "00-{other_trace}-{other_span}-01"}}
      body: {{order: "{{{{ trigger.body.order }}}}"}}
      retry: {{max_attempts: 3, initial_interval: 100ms, backoff: 1.0}}
  ping:
    after: [charge]
    request:
      url: "{{{{ secrets.BASE_URL }}}}/ping"
      local: true
  answer:
    after: [ping]
    respond:
      body: {{charged: "{{{{ steps.charge.response.body.ok }}}}"}}
"""


@contextlib.asynccontextmanager
async def traced_stack(client: Client, tmp_path: Path, tracing: Tracing) -> AsyncIterator[httpx.AsyncClient]:
    """Gateway and worker as the processes wire them: one client with ``tracing``'s
    interceptors, the worker built from it, the gateway's spans on the same provider."""
    settings = Settings(database=str(tmp_path / "dispatched.db"), data_dir=tmp_path, token=TOKEN,
                        task_queue=f"tracing-{uuid.uuid4().hex}", allow_hosts=["127.0.0.1"])
    config: dict[str, Any] = {**client.config(), "interceptors": list(tracing.interceptors)}
    traced = Client(**config)
    registry = await Registry.open(settings)
    worker = create_worker(traced, task_queue=settings.task_queue, secrets=RegistrySecretStore(registry),
                           catalog=RegistryWorkflowCatalog(registry), allow_hosts=settings.allow_hosts)
    app = create_app(settings, temporal_client=traced, tracing=tracing)
    try:
        async with (
            worker,
            serving_app(app) as url,
            httpx.AsyncClient(base_url=url, headers={"Dispatched-Session": TOKEN}, timeout=60) as http,
        ):
            yield http
    finally:
        await registry.close()


async def deploy(http: httpx.AsyncClient, upstream: Upstream, canary: str) -> None:
    source = DOCUMENT.format(upstream=upstream.url, other_trace="1" * 32, other_span="2" * 16)
    for name, value in (("API_KEY", canary), ("BASE_URL", upstream.url)):
        assert (await http.put(f"/api/secrets/{name}", json={"value": value})).status_code == 200
    answer = await http.put("/api/workflows/traced", content=source)
    assert answer.status_code == 200, answer.text


def route_upstream(upstream: Upstream) -> None:
    upstream.route("POST", f"/orders/{PATH_CANARY}", Reply(503, {"busy": True}), Reply(200, {"ok": "yes"}))
    upstream.route("GET", "/ping", Reply(200, {"pong": True}))


async def trigger(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    answer = await http.post(f"/workflows/traced?ref={QUERY_CANARY}", json={"order": PATH_CANARY}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"charged": "yes"}
    return answer


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracing(exporter: InMemorySpanExporter) -> Iterator[Tracing]:
    """The pipeline the processes export through, to memory, span by span."""
    provider = exporting_provider(exporter, batch=False)
    yield Tracing(provider)
    provider.shutdown()


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


async def spans_of_run(exporter: InMemorySpanExporter, run_id: str, *, names: Sequence[str]) -> list[ReadableSpan]:
    """Every finished span, once the run's spans named ``names`` (with repeats) all are."""

    async def complete() -> list[ReadableSpan]:
        while True:
            spans = list(exporter.get_finished_spans())
            in_run = [s.name for s in spans if (s.attributes or {}).get("temporalWorkflowID") == run_id]
            gateway_done = any(s.kind is SpanKind.SERVER and s.name == "POST /workflows/{name}" for s in spans)
            if gateway_done and all(in_run.count(name) >= names.count(name) for name in set(names)):
                return spans
            await asyncio.sleep(0.05)

    try:
        return await asyncio.wait_for(complete(), timeout=20)
    except TimeoutError:
        raise AssertionError(f"spans so far: {[s.name for s in exporter.get_finished_spans()]}") from None


def only(spans: list[ReadableSpan], name: str, **attributes: Any) -> ReadableSpan:
    found = [s for s in spans if s.name == name and all((s.attributes or {}).get(k) == v for k, v in attributes.items())]
    assert len(found) == 1, (name, attributes, [s.name for s in spans])
    return found[0]


def attempt_of(span: ReadableSpan) -> int:
    return int(str((span.attributes or {})["dispatched.attempt"]))


def parent_of(span: ReadableSpan) -> int:
    assert span.parent is not None, span.name
    return span.parent.span_id


def every_recorded_text(spans: list[ReadableSpan]) -> list[str]:
    """Span names, attribute values and event attributes: everything a backend would store."""
    texts: list[str] = []
    for span in spans:
        texts.append(span.name)
        texts.extend(str(v) for v in (span.attributes or {}).values())
        for event in span.events:
            texts.append(event.name)
            texts.extend(str(v) for v in (event.attributes or {}).values())
        if span.status.description:
            texts.append(span.status.description)
    return texts


async def test_a_triggers_traceparent_runs_through_gateway_run_step_and_each_http_attempt(
    client: Client, tmp_path: Path, upstream: Upstream, tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    canary = f"secret-canary-{uuid.uuid4().hex}"
    route_upstream(upstream)
    async with traced_stack(client, tmp_path, tracing) as http:
        await deploy(http, upstream, canary)
        answer = await trigger(http, {"traceparent": TRACEPARENT})
        run_id = answer.headers["Dispatched-Run-Id"]
        spans = await spans_of_run(exporter, run_id, names=[
            "RunWorkflow:DispatchedRun", START_STEP, START_STEP,
            RUN_STEP, RUN_STEP, RUN_STEP,
        ])

    # trigger → run → step → HTTP attempt, all in the caller's trace.
    gateway = only(spans, "POST /workflows/{name}")
    assert gateway.kind is SpanKind.SERVER
    assert gateway.parent is not None and gateway.parent.is_remote and _hex(gateway.parent.span_id, 16) == CALLER_SPAN
    assert gateway.attributes == {"http.request.method": "POST", "url.scheme": "http", "http.route": "/workflows/{name}",
                                  "http.response.status_code": 200, "dispatched.run_id": run_id}
    start = only(spans, "StartUpdateWithStartWorkflow:DispatchedRun", temporalWorkflowID=run_id)
    assert parent_of(start) == gateway.context.span_id
    run = only(spans, "RunWorkflow:DispatchedRun", temporalWorkflowID=run_id)
    assert parent_of(run) == start.context.span_id
    charge_attempts = [s for s in spans if s.name == "HTTP POST"]
    assert sorted(attempt_of(s) for s in charge_attempts) == [1, 2]  # one span per attempt
    for attempt in charge_attempts:
        activity_span = next(s for s in spans if s.context.span_id == parent_of(attempt))
        assert activity_span.name == RUN_STEP
        step_start = next(s for s in spans if s.context.span_id == parent_of(activity_span))
        assert step_start.name == START_STEP and parent_of(step_start) == start.context.span_id
    in_trace = [s for s in spans if run_id in str(s.attributes) or s.name.startswith("HTTP ")]
    assert {_hex(s.context.trace_id, 32) for s in in_trace + [gateway]} == {CALLER_TRACE}

    # What each attempt span says, and what it does not.
    first, second = sorted(charge_attempts, key=attempt_of)
    assert first.attributes == {
        "http.request.method": "POST", "dispatched.run_id": run_id, "dispatched.workflow": "traced",
        "dispatched.step": "charge", "dispatched.attempt": 1, "url.scheme": "http",
        "server.address": "127.0.0.1", "server.port": int(upstream.url.rsplit(":", 1)[1]),
        "http.response.status_code": 503, "error.type": "http_status",
    }
    assert first.status.status_code is trace.StatusCode.ERROR
    assert (second.attributes or {})["http.response.status_code"] == 200
    assert second.status.status_code is trace.StatusCode.UNSET
    ping = only(spans, "HTTP GET")
    assert "server.address" not in (ping.attributes or {}), "the host of a secret base URL is not recorded"

    # The upstream saw each attempt's own span as the parent, in the caller's trace; the
    # document's own traceparent was replaced.
    received = upstream.received("POST", f"/orders/{PATH_CANARY}")
    assert [r.headers["traceparent"] for r in received] == [
        f"00-{CALLER_TRACE}-{_hex(s.context.span_id, 16)}-01" for s in (first, second)
    ]
    (ping_request,) = upstream.received("GET", "/ping")
    assert ping_request.headers["traceparent"] == f"00-{CALLER_TRACE}-{_hex(ping.context.span_id, 16)}-01"
    assert received[0].query["key"] == [canary]  # the secret did go upstream...

    texts = every_recorded_text(spans)
    for never in (canary, QUERY_CANARY, PATH_CANARY, "page=2", "key=", "Bearer", "/orders", "/ping", upstream.url):
        assert not [t for t in texts if never in t], f"{never!r} reached a span"  # ...and no span


async def test_a_trigger_without_traceparent_starts_a_trace_of_its_own(
    client: Client, tmp_path: Path, upstream: Upstream, tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    route_upstream(upstream)
    async with traced_stack(client, tmp_path, tracing) as http:
        await deploy(http, upstream, "some-secret-value")
        run_id = (await trigger(http, {})).headers["Dispatched-Run-Id"]
        spans = await spans_of_run(exporter, run_id, names=[RUN_STEP] * 3)
    gateway = only(spans, "POST /workflows/{name}", **{"dispatched.run_id": run_id})
    assert gateway.parent is None
    ours = _hex(gateway.context.trace_id, 32)
    assert ours != CALLER_TRACE
    assert {r.headers["traceparent"].split("-")[1] for r in upstream.requests} == {ours}


async def test_an_async_trigger_starts_its_run_in_the_callers_trace(
    client: Client, tmp_path: Path, upstream: Upstream, tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    route_upstream(upstream)
    async with traced_stack(client, tmp_path, tracing) as http:
        await deploy(http, upstream, "some-secret-value")
        answer = await http.post("/workflows/traced", json={"order": PATH_CANARY},
                                 headers={"traceparent": TRACEPARENT, "Prefer": "respond-async"})
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["run_id"]
        spans = await spans_of_run(exporter, run_id, names=["CompleteWorkflow:DispatchedRun", RUN_STEP, RUN_STEP, RUN_STEP])
    gateway = only(spans, "POST /workflows/{name}", **{"dispatched.run_id": run_id})
    start = only(spans, "StartWorkflow:DispatchedRun", temporalWorkflowID=run_id)
    assert parent_of(start) == gateway.context.span_id and _hex(start.context.trace_id, 32) == CALLER_TRACE
    assert {r.headers["traceparent"].split("-")[1] for r in upstream.requests} == {CALLER_TRACE}

    # A traced run's history (trace headers on its start and its activities) replays on a
    # worker with tracing and on one without, so tracing can be turned on or off under
    # runs in flight; and replaying makes no span.
    history = await client.get_workflow_handle(run_id).fetch_history()
    assert "_tracer-data" in str(history.events[0].workflow_execution_started_event_attributes.header)
    exporter.clear()
    for interceptors in ([], [TracingInterceptor(tracing.tracer)]):
        replayer = Replayer(workflows=[DispatchedRun], data_converter=client.data_converter, interceptors=interceptors)
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, result.replay_failure
    assert not exporter.get_finished_spans()


async def test_with_nothing_exported_a_callers_trace_still_reaches_the_upstream(
    client: Client, tmp_path: Path, upstream: Upstream
) -> None:
    """The unconfigured case (no OTLP endpoint): no span is made, but the caller's context
    is handed on, so the upstream's traceparent names the caller's trace and span."""
    route_upstream(upstream)
    async with traced_stack(client, tmp_path, no_tracing()) as http:
        await deploy(http, upstream, "some-secret-value")
        await trigger(http, {"traceparent": TRACEPARENT})
        assert [r.headers["traceparent"] for r in upstream.requests] == [TRACEPARENT] * 3
        upstream.requests.clear()
        route_upstream(upstream)
        await trigger(http, {})  # no trace to continue: no header at all, not even the document's
        assert [("traceparent" in r.headers) for r in upstream.requests] == [False] * 3


def test_nothing_is_exported_unless_an_otlp_endpoint_is_set() -> None:
    tracing = setup_tracing(Settings(), service_name="dispatched-worker")
    assert isinstance(tracing.provider, trace.NoOpTracerProvider) and not tracing.owned
    assert not tracing.tracer.start_span("x").is_recording()


def test_a_bad_otlp_endpoint_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL"):
        Settings(otlp_endpoint="127.0.0.1:4318")


def test_spans_go_over_otlp_http_to_the_configured_endpoint(upstream: Upstream) -> None:
    """A loopback collector gets the spans, protobuf-encoded, at <endpoint>/v1/traces."""
    upstream.route("POST", "/v1/traces", Reply(200, b""))
    tracing = setup_tracing(Settings(otlp_endpoint=upstream.url + "/"), service_name="dispatched-worker")
    assert tracing.owned
    with tracing.tracer.start_as_current_span("exported-span-name"):
        pass
    tracing.shutdown()  # flushes the batch
    (sent,) = upstream.received("POST", "/v1/traces")
    assert sent.headers["content-type"] == "application/x-protobuf"
    assert b"exported-span-name" in sent.body and b"dispatched-worker" in sent.body
