"""No worker while a synchronous trigger arrives: the gateway answers ``202`` with the run
id at the ``Prefer: wait`` deadline instead of hanging, and the run completes once a
worker comes back. The run is durable in Temporal from the first second; only its
progress waits for a worker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
from temporalio.client import Client

from registry import Registry
from runtime.settings import Settings
from runtime.worker import build_worker
from tests.gateway.conftest import TOKEN, serving
from tests.upstream import Reply, Upstream

DOCUMENT = """
name: no-worker
steps:
  reserve:
    request: {{method: POST, url: "{url}/reserve", body: "{{{{ trigger.body }}}}"}}
  answer:
    after: [reserve]
    respond: {{status: 201, body: {{reserved: "{{{{ steps.reserve.response.body.id }}}}"}}}}
"""


async def _until_completed(http: httpx.AsyncClient, run_id: str, timeout: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        state: dict[str, object] = (await http.get(f"/api/runs/{run_id}")).json()
        if state.get("status") != "running":
            return state
        assert time.monotonic() < deadline, state
        await asyncio.sleep(0.1)


async def test_sync_trigger_without_a_worker_answers_202_at_its_deadline(
    client: Client, upstream: Upstream, tmp_path: Path
) -> None:
    upstream.route("POST", "/reserve", Reply(200, {"id": "R-1"}))
    settings = Settings(database=str(tmp_path / "dispatched.db"), data_dir=tmp_path, token=TOKEN,
                        task_queue=f"no-worker-{uuid.uuid4().hex[:8]}", allow_hosts=["127.0.0.1"])
    statuses: list[int] = []

    async def record(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    async with serving(settings, client) as url, httpx.AsyncClient(
        base_url=url, headers={"Dispatched-Session": TOKEN}, timeout=60, event_hooks={"response": [record]}
    ) as http:
        assert (await http.put("/api/workflows/no-worker", content=DOCUMENT.format(url=upstream.url))).status_code == 200
        started = time.monotonic()
        answer = await http.post("/workflows/no-worker", json={"sku": "A"}, headers={"Prefer": "wait=2"})
        waited = time.monotonic() - started
        print(f"\nsync trigger with no worker answered {answer.status_code} after {waited:.2f}s")
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["run_id"]
        assert answer.headers["Dispatched-Run-Id"] == run_id
        assert 2.0 <= waited < 4.0
        assert upstream.received("POST", "/reserve") == []  # nothing ran: there was no worker

        registry = await Registry.open(settings)
        try:
            async with build_worker(client, settings, registry):
                state = await _until_completed(http, run_id)
                again = await http.post("/workflows/no-worker", json={"sku": "B"}, headers={"Prefer": "wait=10"})
        finally:
            await registry.close()
    assert state["status"] == "completed"
    assert [r.json() for r in upstream.received("POST", "/reserve")][:1] == [{"sku": "A"}]
    assert (again.status_code, again.json()) == (201, {"reserved": "R-1"})
    assert not [s for s in statuses if s >= 500]
