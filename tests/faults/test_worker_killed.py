"""SIGKILL the worker while a request step is in flight: the run still finishes.

The request activity heartbeats every second and has a 5 s heartbeat timeout, so
Temporal notices the dead worker within seconds (not after the 30 s per-attempt
timeout) and hands the retry to the replacement worker. The recovery time printed here
is the figure quoted in docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

from activities.secrets import MemorySecretStore
from interpreter.client import RunClient
from tests.faults.workerproc import WorkerProcess
from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine

pytestmark = pytest.mark.faults

DOCUMENT = """
name: killed-mid-request
steps:
  charge:
    request: {{method: POST, url: "{url}/charge", body: {{amount: 42}}}}
  ship:
    after: [charge]
    request: {{method: POST, url: "{url}/ship", body: {{charge: "{{{{ steps.charge.response.body.id }}}}"}}}}
  done:
    after: [ship]
    respond: {{body: {{shipped: "{{{{ steps.ship.response.body.tracking }}}}"}}}}
"""
# Past the 5 s heartbeat timeout and the default 1 s retry interval, with room for the
# replacement worker's startup and the sticky-queue fallback.
RECOVERY_BUDGET = 12.0


async def _until_received(upstream: Upstream, path: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(upstream.received("POST", path)) < count:
        assert time.monotonic() < deadline, f"{path} got {len(upstream.received('POST', path))} of {count} requests"
        await asyncio.sleep(0.05)


async def test_sigkilled_worker_mid_request_is_replaced_and_the_run_finishes(
    client: Client, address: str, upstream: Upstream, tmp_path: Path
) -> None:
    upstream.route("POST", "/charge", Reply(200, {"id": "ch_1"}, delay=3.0), Reply(200, {"id": "ch_1"}))
    upstream.route("POST", "/ship", Reply(200, {"tracking": "TRK9"}))
    task_queue = f"faults-{uuid.uuid4().hex[:8]}"
    first = WorkerProcess(address=address, task_queue=task_queue, data_dir=tmp_path / "w1").start()
    second = WorkerProcess(address=address, task_queue=task_queue, data_dir=tmp_path / "w2")
    engine = Engine(client, RunClient(client, task_queue=task_queue), MemorySecretStore(), task_queue)
    try:
        run_id = await engine.start(DOCUMENT.format(url=upstream.url))
        await _until_received(upstream, "/charge", 1, timeout=30)  # worker startup included
        await asyncio.sleep(0.5)  # well inside the upstream's 3 s hold: the request is in flight
        killed_at = first.kill()
        second.start()
        await _until_received(upstream, "/charge", 2, timeout=RECOVERY_BUDGET + 10)
        recovery = upstream.received("POST", "/charge")[1].at - killed_at
        state = await engine.finish(run_id, timeout=60)
        completed = time.monotonic() - killed_at
    finally:
        first.stop()
        second.stop()
    print(f"\nrecovery after SIGKILL: {recovery:.2f}s (kill -> retried request at the upstream), "
          f"run completed {completed:.2f}s after the kill")
    assert state.status == "completed", (state, second.tail())
    assert recovery < RECOVERY_BUDGET
    assert completed < RECOVERY_BUDGET + 8  # + the dead worker's sticky queue timing out (3 s)
    charges = upstream.received("POST", "/charge")
    assert len(charges) == 2 and state.steps["charge"].attempts == 2
    assert {c.headers["idempotency-key"] for c in charges} == {f"{run_id}:charge"}
    assert len(upstream.received("POST", "/ship")) == 1  # the steps after it ran exactly once
    assert upstream.received("POST", "/ship")[0].json() == {"charge": "ch_1"}
    assert [state.steps[s].status for s in ("charge", "ship", "done")] == ["completed"] * 3
