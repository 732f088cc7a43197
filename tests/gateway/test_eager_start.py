"""``DISPATCHED_EAGER_START``: the gateway runs a worker in its own process and starts sync
triggers eagerly, so the run's first workflow task comes back with the start's answer.

No other worker polls the task queue here: the runs are answered by the gateway's own
worker, or not at all; and the start is checked to have really been eager on the server.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client

from runtime.settings import Settings
from tests.gateway.conftest import TOKEN, serving
from tests.upstream import Reply, Upstream

ECHO = """\
name: echo
steps:
  call:
    request:
      method: POST
      url: "{{ secrets.UPSTREAM_URL }}/echo"
      body: "{{ trigger.body }}"
  answer:
    after: [call]
    respond:
      status: 201
      body: {got: "{{ steps.call.response.body.got }}"}
"""


@pytest.fixture
async def eager_gateway(client: Client, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database=str(tmp_path / "dispatched.db"), data_dir=tmp_path, token=TOKEN,
        task_queue=f"eager-{uuid.uuid4().hex}", allow_hosts=["127.0.0.1"], eager_start=True,
    )
    async with serving(settings, client) as url, httpx.AsyncClient(
        base_url=url, headers={"Dispatched-Session": TOKEN}, timeout=60
    ) as http:
        yield http


async def test_sync_triggers_start_eagerly_on_the_gateways_own_worker(
    eager_gateway: httpx.AsyncClient, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    eager: list[tuple[bool, bool]] = []  # (asked for, granted by the server) per start
    original = Client.start_workflow

    async def watched(self: Client, *args: Any, **kwargs: Any) -> Any:
        handle = await original(self, *args, **kwargs)
        eager.append((kwargs.get("request_eager_start", False), getattr(handle, "__temporal_eagerly_started", False)))
        return handle

    monkeypatch.setattr(Client, "start_workflow", watched)
    assert (await eager_gateway.put("/api/secrets/UPSTREAM_URL", json={"value": upstream.url})).status_code == 200
    assert (await eager_gateway.put("/api/workflows/echo", content=ECHO)).status_code in (200, 201)
    upstream.route("POST", "/echo", Reply(200, {"got": "it"}))
    for n in range(3):
        answer = await eager_gateway.post("/workflows/echo", json={"n": n})
        assert answer.status_code == 201, answer.text
        assert answer.json() == {"got": "it"}
    assert eager == [(True, True)] * 3
    assert [r.json() for r in upstream.received("POST", "/echo")] == [{"n": 0}, {"n": 1}, {"n": 2}]

    # Prefer: respond-async is unchanged: an ordinary start, answered 202 at once.
    accepted = await eager_gateway.post("/workflows/echo", json={"n": 9}, headers={"Prefer": "respond-async"})
    assert accepted.status_code == 202 and eager[3:] == [(False, False)]
