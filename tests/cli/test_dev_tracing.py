"""``dispatched dev`` with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set: its gateway and worker
processes (``dispatched gateway|worker``, as in production) export their spans over
OTLP/HTTP to a loopback collector, in the caller's trace, and flush them when stopped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.devproc import DevProcess
from tests.upstream import Reply, Upstream

CALLER_TRACE = "5bf92f3577b34da6a3ce929d0e0e4737"
TRACEPARENT = f"00-{CALLER_TRACE}-00f067aa0ba902b8-01"


@pytest.fixture
def collector() -> Iterator[Upstream]:
    server = Upstream()
    server.route("POST", "/v1/traces", Reply(200, b""))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dev(tmp_path: Path, collector: Upstream) -> Iterator[DevProcess]:
    process = DevProcess(tmp_path / "data")
    process.env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.url
    try:
        yield process
    finally:
        process.kill()


def test_dev_processes_export_the_runs_spans_to_the_configured_collector(dev: DevProcess, collector: Upstream) -> None:
    banner = dev.start()
    assert f"traces   OTLP to {collector.url}/v1/traces" in banner
    token = (dev.data_dir / "token").read_text().strip()
    answer = httpx.post(
        f"http://127.0.0.1:{dev.port}/workflows/respond-early",
        json={"user_id": "user_42", "address": {"city": "Berlin"}},
        headers={"Dispatched-Session": token, "traceparent": TRACEPARENT}, timeout=60,
    )
    assert answer.status_code == 201, answer.text
    assert dev.stop()[0] == 0  # SIGTERM: each child sends what it still buffers

    sent = collector.received("POST", "/v1/traces")
    assert sent and {r.headers["content-type"] for r in sent} == {"application/x-protobuf"}
    body = b"".join(r.body for r in sent)
    assert b"dispatched-gateway" in body and b"dispatched-worker" in body  # both processes, by service name
    assert b"POST /workflows/{name}" in body and b"HTTP POST" in body
    assert bytes.fromhex(CALLER_TRACE) in body  # the trigger's trace
    assert token.encode() not in body
