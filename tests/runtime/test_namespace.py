"""A clean start on any namespace (SPEC §9): against a bare Temporal dev server (no
``--search-attribute``), the real ``dispatched gateway`` and ``dispatched worker`` add
the attributes and the first trigger succeeds; an attribute of the wrong type stops a
process with the exact commands, never a ``500`` later."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cli.dev.temporal_server import temporal_binary
from runtime.namespace import NamespaceNotReady, ensure_search_attributes, expected_attributes, present_attributes
from tests.upstream import Reply, Upstream

DISPATCHED = str(Path(sys.executable).parent / "dispatched")
TOKEN = "namespace-test-token"
ANSWER = """\
name: hello
steps:
  call:
    request: {url: "{{ secrets.UP }}/hello"}
    directives: [log]
  answer:
    after: [call]
    respond: {body: {ok: true}}
"""
PENDING = 'name: pending\nsteps:\n  call:\n    request: {url: "{{ secrets.NEVER_SET }}/x"}\n'



@pytest.fixture
async def bare() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server of its own, with none of Dispatched's search attributes."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter, dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(bare: WorkflowEnvironment, tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DISPATCHED_", "TEMPORAL_"))},
        "TEMPORAL_ADDRESS": bare.client.service_client.config.target_host,
        "DISPATCHED_DATA_DIR": str(tmp_path),
        "DISPATCHED_DATABASE": str(tmp_path / "dispatched.db"),
        "DISPATCHED_TOKEN": TOKEN,
        "DISPATCHED_TASK_QUEUE": "bare-namespace",
    }


async def test_missing_attributes_are_added_once(bare: WorkflowEnvironment) -> None:
    assert not set(expected_attributes()) & set(await present_attributes(bare.client))
    assert await ensure_search_attributes(bare.client) == sorted(expected_attributes())
    assert await ensure_search_attributes(bare.client) == []
    present = await present_attributes(bare.client)
    assert {name: present[name] for name in expected_attributes()} == expected_attributes()


async def test_an_attribute_of_another_type_stops_with_the_commands(bare: WorkflowEnvironment) -> None:
    await bare.client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=bare.client.namespace,
        search_attributes={"DispatchedProject": IndexedValueType.INDEXED_VALUE_TYPE_INT},
    ))
    with pytest.raises(NamespaceNotReady) as refused:
        await ensure_search_attributes(bare.client)
    message = str(refused.value)
    assert "DispatchedProject" in message
    assert "temporal operator search-attribute create --namespace default --name DispatchedProject --type Keyword" in message


async def _scrape_until(url: str, wanted: str, timeout: float = 20) -> str:
    """The worker's metrics once ``wanted`` is in them (the SDK exports on an interval)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while True:
            try:
                text = (await http.get(url)).text
                if wanted in text:
                    return text
            except httpx.TransportError:
                text = ""
            assert time.monotonic() < deadline, f"no {wanted} at {url}:\n{text[:2000]}"
            await asyncio.sleep(0.5)


@pytest.mark.timeout(120)
async def test_gateway_and_worker_on_a_bare_server_answer_the_first_trigger(
    bare: WorkflowEnvironment, tmp_path: Path, upstream: Upstream
) -> None:
    # The upstream steers with a directive the step accepts and one it does not.
    upstream.route("GET", "/hello", Reply(200, {}, headers=[("Dispatched-Log", "hi"), ("Dispatched-Delay", "1ms")]))
    env, port, metrics_port = _env(bare, tmp_path), _free_port(), _free_port()
    env["DISPATCHED_METRICS_PORT"] = str(metrics_port)
    env["DISPATCHED_ALLOW_HOSTS"] = "127.0.0.1"
    gateway = subprocess.Popen([DISPATCHED, "gateway", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worker = subprocess.Popen([DISPATCHED, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Dispatched-Session": TOKEN}) as http:
            deadline = time.monotonic() + 60
            while True:
                assert gateway.poll() is None, gateway.communicate()[0]
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the gateway did not start"
                await asyncio.sleep(0.2)
            assert (await http.put("/api/secrets/UP", content=upstream.url)).status_code == 200
            assert (await http.put("/api/workflows/hello", content=ANSWER)).status_code == 200
            answer = await http.post("/workflows/hello", json={}, timeout=60)
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"ok": True}
            async_start = await http.post("/workflows/hello", json={}, headers={"Prefer": "respond-async"})
            assert async_start.status_code == 202
            assert (await http.put("/api/workflows/pending", content=PENDING)).status_code == 200
            assert (await http.post("/workflows/pending", json={})).status_code == 409
            assert (await http.post("/workflows/no-such-workflow", json={})).status_code == 404
            # Metrics (SPEC §9): the gateway's triggers, the worker's runs and steps and the SDK's own.
            gateway_metrics = (await http.get("/metrics", headers={"Dispatched-Session": ""})).text
            assert 'dispatched_triggers_total{outcome="answered",project="default",workflow="hello"} 1.0' in gateway_metrics
            assert 'dispatched_triggers_total{outcome="accepted",project="default",workflow="hello"} 1.0' in gateway_metrics
            assert 'dispatched_triggers_total{outcome="refused",project="default",workflow="pending"} 1.0' in gateway_metrics
            assert "no-such-workflow" not in gateway_metrics  # a caller's made-up name is never a label
            worker_metrics = await _scrape_until(f"http://127.0.0.1:{metrics_port}/metrics", "dispatched_runs_total")
            assert "temporal_" in worker_metrics
            runs = [line for line in worker_metrics.splitlines() if line.startswith("dispatched_runs_total{")]
            assert any('workflow="hello"' in line and 'status="completed"' in line and 'project="default"' in line
                       for line in runs), runs
            steps = [line for line in worker_metrics.splitlines() if line.startswith("dispatched_steps_total{")]
            assert any('kind="respond"' in line and 'outcome="completed"' in line for line in steps), steps
            directives = await _scrape_until(f"http://127.0.0.1:{metrics_port}/metrics", "dispatched_directives_total")
            counted = [line for line in directives.splitlines() if line.startswith("dispatched_directives_total{")]
            assert any('kind="log"' in line and 'outcome="applied"' in line for line in counted), counted
            assert any('kind="delay"' in line and 'outcome="skipped"' in line for line in counted), counted
            assert "run_" not in worker_metrics + gateway_metrics  # no run id is ever a label
    finally:
        for process in (gateway, worker):
            process.terminate()
        logs = [process.communicate(timeout=20)[0] for process in (gateway, worker)]
    assert "registered search attributes" in "".join(logs)  # one of them added them, and said so


@pytest.mark.timeout(120)
async def test_a_worker_facing_a_wrong_attribute_exits_1_with_the_commands(
    bare: WorkflowEnvironment, tmp_path: Path
) -> None:
    await bare.client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=bare.client.namespace,
        search_attributes={"DispatchedRevision": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD},
    ))
    done = await asyncio.to_thread(
        subprocess.run, [DISPATCHED, "worker"], env=_env(bare, tmp_path), capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 1
    assert "--name DispatchedRevision --type Int" in done.stderr
