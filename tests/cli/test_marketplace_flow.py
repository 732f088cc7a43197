"""The product document's marketplace flow, end to end (SPEC §7, seeds/000): clone
``@dispatched/async-checkout`` into a new project, see its secret pending, be refused,
fill it in, and run the checkout to completion — once with the CLI, once over plain HTTP
as the README's curl session does. Real gateway, worker, dev server and demo upstream."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.cli.conftest import Live
from tests.cli.test_projects import ok, refused

ADDRESS = '{"street": "100 Main St", "city": "Berlin", "zip": "10115"}'
SIGNALS = (("address-submitted", ADDRESS), ("shipping-selected", '{"method": "express"}'),
           ("payment-confirmed", '{"confirmed_at": "2026-05-15T12:00:00Z"}'))


async def _until_closed(read: Callable[[str], Awaitable[dict[str, Any]]], run_id: str) -> dict[str, Any]:
    for _ in range(200):
        state = await read(run_id)
        if state["status"] != "running":
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


async def test_the_checkout_template_with_the_cli(live: Live) -> None:
    project = f"shop-{uuid.uuid4().hex[:8]}"
    assert "@dispatched/async-checkout" in await ok(live, "marketplace", "search", "checkout")
    assert "ECOM_API_URL" in await ok(live, "marketplace", "show", "@dispatched/async-checkout")
    await ok(live, "project", "create", project)
    token = (await ok(live, "--project", project, "token", "create", "--role", "deploy", "--label", "flow")).strip()
    used = await ok(live, "marketplace", "use", "@dispatched/async-checkout", DISPATCHED_TOKEN=token)
    assert ["ECOM_API_URL", "pending"] in [line.split() for line in used.splitlines()]
    listed = await ok(live, "secrets", "list", DISPATCHED_TOKEN=token)
    assert ["ECOM_API_URL", "pending", "async-checkout", "-"] in [line.split() for line in listed.splitlines()]
    error = await refused(live, "run", "start", "async-checkout", "--async", "--data", '{"user_id": "user_42"}',
                          DISPATCHED_TOKEN=token)
    assert error.startswith("error: secrets_pending:") and "ECOM_API_URL" in error
    await ok(live, "secrets", "set", "ECOM_API_URL", f"{live.demo.url}/shop", DISPATCHED_TOKEN=token)
    run_id = (await ok(live, "run", "start", "async-checkout", "--async", "--data", '{"user_id": "user_42"}',
                       DISPATCHED_TOKEN=token)).strip()
    for name, data in SIGNALS:
        await ok(live, "run", "signal", run_id, name, "--data", data, DISPATCHED_TOKEN=token)

    async def read(run: str) -> dict[str, Any]:
        return json.loads(await ok(live, "run", "show", run, "--json", DISPATCHED_TOKEN=token))  # type: ignore[no-any-return]

    state = await _until_closed(read, run_id)
    assert state["status"] == "completed"
    assert state["steps"]["finalize_order"]["status"] == "completed"
    # The default project has no such run, and its secret list knows nothing of shop's.
    assert run_id not in await ok(live, "run", "list")
    assert "ECOM_API_URL" not in await ok(live, "secrets", "list")


async def test_the_checkout_template_over_http(live: Live) -> None:
    project = f"shop-{uuid.uuid4().hex[:8]}"
    operator = {"Dispatched-Session": live.token}
    async with httpx.AsyncClient(base_url=live.url, headers=operator, timeout=60) as http:
        found = (await http.get("/api/marketplace", params={"q": "CHECKOUT"})).json()
        assert [t["id"] for t in found] == ["@dispatched/async-checkout"]
        shown = (await http.get("/api/marketplace/@dispatched/async-checkout")).json()
        assert shown["secrets"] == ["ECOM_API_URL"] and "confirm_address" in shown["document"]
        assert (await http.post("/api/projects", json={"name": project})).status_code == 201
        made = await http.post("/api/tokens", json={"role": "deploy", "label": "flow"}, headers={"Dispatched-Project": project})
        shop = {"Dispatched-Session": made.json()["token"]}
        used = await http.post("/api/marketplace/@dispatched/async-checkout/use", json={}, headers=shop)
        assert used.status_code == 201
        assert used.json()["secrets"] == [{"name": "ECOM_API_URL", "status": "pending"}]
        listed = (await http.get("/api/secrets", headers=shop)).json()
        assert listed == [{"name": "ECOM_API_URL", "status": "pending", "used_by": ["async-checkout"], "updated_at": None}]
        start = {**shop, "Prefer": "respond-async"}
        refused_start = await http.post("/workflows/async-checkout", json={"user_id": "user_42"}, headers=start)
        assert refused_start.status_code == 409 and refused_start.json()["error"]["code"] == "secrets_pending"
        put = await http.put("/api/secrets/ECOM_API_URL", json={"value": f"{live.demo.url}/shop"}, headers=shop)
        assert put.status_code == 200 and live.demo.url not in put.text
        started = await http.post("/workflows/async-checkout", json={"user_id": "user_42"}, headers=start)
        assert started.status_code == 202
        run_id = started.json()["run_id"]
        for name, data in SIGNALS:
            signalled = await http.post(f"/api/runs/{run_id}/signal/{name}", content=data, headers=shop)
            assert signalled.status_code == 202, signalled.text

        async def read(run: str) -> dict[str, Any]:
            return (await http.get(f"/api/runs/{run}", headers=shop)).json()  # type: ignore[no-any-return]

        state = await _until_closed(read, run_id)
        assert state["status"] == "completed"
        assert (await http.get(f"/api/runs/{run_id}")).status_code == 404  # the operator's default: not there
