"""``/api/runs`` per project (SPEC §6) through the live gateway: the list shows the
caller's project only, another project's run is 404 exactly like a missing one for
every route, reading needs ``read`` and signal/cancel need ``run``."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
import yaml

from contract.document import Document
from contract.messages import RunInput
from contract.names import DEFAULT_PROJECT
from interpreter.client import RunClient
from tests.gateway.conftest import TOKEN, Gateway

HOLD = "name: {name}\nsteps:\n  hold: {{wait: {{signal: release}}}}\n"


async def start(gateway: Gateway, name: str, project: str) -> str:
    """A waiting run of ``project``, started as a trigger would (RunClient, the gateway's queue)."""
    runs = RunClient(gateway.client, task_queue=gateway.settings.task_queue)
    document = Document.model_validate(yaml.safe_load(HOLD.format(name=name)))
    run = RunInput(run_id=RunClient.new_run_id(), workflow=name, revision=1, document=document, project=project)
    await runs.start(run)
    await until(gateway, run.run_id, {"Dispatched-Session": TOKEN, "Dispatched-Project": project}, "waiting")
    return run.run_id


async def until(gateway: Gateway, run_id: str, headers: dict[str, str], status: str, timeout: float = 20) -> dict[str, Any]:
    """Poll ``GET /api/runs/{id}`` as ``headers`` until the run is ``status`` (``waiting``:
    its hold step is)."""

    async def reached() -> dict[str, Any]:
        while True:
            state: dict[str, Any] = (await gateway.http.get(f"/api/runs/{run_id}", headers=headers)).json()
            if status == "waiting" and state.get("steps", {}).get("hold", {}).get("status") == "waiting":
                return state
            if state.get("status") == status:
                return state
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(reached(), timeout)


async def listed(http: httpx.AsyncClient, name: str, expected: set[str], **headers: str) -> set[str]:
    """The run ids ``GET /api/runs?workflow=name`` answers, once visibility shows ``expected``."""
    found: set[str] = set()
    for _ in range(100):
        answer = await http.get("/api/runs", params={"workflow": name}, headers=headers)
        assert answer.status_code == 200, answer.text
        found = {run["run_id"] for run in answer.json()}
        if found >= expected:
            return found
        await asyncio.sleep(0.05)
    return found


def without_id(answer: httpx.Response, run_id: str) -> tuple[int, Any]:
    return answer.status_code, answer.text.replace(run_id, "ID")


@pytest.fixture
async def shop_tokens(gateway: Gateway) -> dict[str, str]:
    await gateway.registry.projects.create("shop")
    return {role: (await gateway.registry.tokens.create("shop", role, role)).token for role in ("read", "run")}


async def test_runs_are_listed_and_reached_in_the_callers_project_only(
    gateway: Gateway, shop_tokens: dict[str, str]
) -> None:
    name = f"held-{uuid.uuid4().hex[:8]}"
    shop, default = await start(gateway, name, "shop"), await start(gateway, name, DEFAULT_PROJECT)
    reader = {"Dispatched-Session": shop_tokens["read"]}
    runner = {"Dispatched-Session": shop_tokens["run"]}

    assert await listed(gateway.http, name, {default}) == {default}  # the operator token: default
    assert await listed(gateway.http, name, {shop}, **{"Dispatched-Project": "shop"}) == {shop}
    assert await listed(gateway.http, name, {shop}, **reader) == {shop}

    missing = f"run_missing{uuid.uuid4().hex}"
    for method, path in (
        ("GET", ""), ("GET", "/events"), ("GET", "/events?follow=true"),
        ("POST", "/signal/release"), ("POST", "/cancel"),
    ):
        other = await gateway.http.request(method, f"/api/runs/{default}{path}", headers=runner, json={})
        absent = await gateway.http.request(method, f"/api/runs/{missing}{path}", headers=runner, json={})
        assert other.status_code == 404, (method, path, other.text)
        assert without_id(other, default) == without_id(absent, missing), (method, path)

    # A read token reads but may not act; a run token acts on its own project's run.
    assert (await gateway.http.get(f"/api/runs/{shop}", headers=reader)).json()["steps"]["hold"]["status"] == "waiting"
    for path in ("/signal/release", "/cancel"):
        refused = await gateway.http.post(f"/api/runs/{shop}{path}", headers=reader, json={})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden", refused.text
    sent = await gateway.http.post(f"/api/runs/{shop}/signal/release", headers=runner, json={})
    assert sent.status_code == 202, sent.text
    await until(gateway, shop, runner, "completed")

    # The default run was never touched by any of it.
    state = (await gateway.http.get(f"/api/runs/{default}", headers={"Dispatched-Session": TOKEN})).json()
    assert state["status"] == "running" and state["steps"]["hold"]["status"] == "waiting"
    assert (await gateway.http.post(f"/api/runs/{default}/cancel")).status_code == 202
