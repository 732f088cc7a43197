"""``/api/runs`` end to end: state, events (listed and followed as SSE), signals (API
and the real `temporal` CLI alike), cancel, and the seed's curl session verbatim."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from cli.dev.temporal_server import temporal_binary
from tests.gateway.conftest import TOKEN, Gateway
from tests.gateway.test_triggers import WAITS
from tests.upstream import Reply, Upstream

CHECKOUT = (Path(__file__).parents[2] / "examples" / "async-checkout.yaml").read_text()


def shop(upstream: Upstream) -> None:
    upstream.route("POST", "/carts", Reply(201, {"id": "cart_1"}))
    upstream.route("POST", "/shipping/quote", Reply(200, {"quotes": [{"method": "express", "cents": 900}]}))
    upstream.route("POST", "/payments/authorize", Reply(200, {"auth_id": "auth_1"}))
    upstream.route("POST", "/orders", Reply(201, {"order_id": "ord_1"}))


async def start_waiting(gateway: Gateway) -> str:
    await gateway.deploy(WAITS)
    answer = await gateway.http.post("/workflows/waits", json={}, headers={"Prefer": "respond-async"})
    run_id: str = answer.json()["run_id"]
    await gateway.until_step(run_id, "hold", "waiting")
    return run_id


async def test_the_seed_curl_session_for_async_checkout(gateway: Gateway, upstream: Upstream) -> None:
    shop(upstream)
    await gateway.http.put("/api/secrets/ECOM_API_URL", content=upstream.url)
    await gateway.deploy(CHECKOUT)
    async with httpx.AsyncClient(base_url=gateway.url) as curl:  # no default headers: each call as written
        started = await curl.post(
            "/workflows/async-checkout",
            headers={"Dispatched-Session": TOKEN, "Prefer": "respond-async", "Content-Type": "application/json"},
            content='{"user_id": "user_42"}',
        )
        run = started.json()["run_id"]
        await gateway.until_step(run, "confirm_address", "waiting")
        shown = await curl.get(f"/api/runs/{run}", headers={"Dispatched-Session": TOKEN})
        assert shown.json()["steps"]["confirm_address"]["status"] == "waiting"
        assert shown.json()["steps"]["create_cart"]["status"] == "completed"
        for name, data, waits_next in [
            ("address-submitted", '{"street": "100 Main St", "city": "Berlin", "zip": "10115"}', "select_shipping"),
            ("shipping-selected", '{"method": "express"}', "confirm_payment"),
            ("payment-confirmed", '{"confirmed_at": "2026-05-15T12:00:00Z"}', None),
        ]:
            sent = await curl.post(
                f"/api/runs/{run}/signal/{name}",
                headers={"Dispatched-Session": TOKEN, "Content-Type": "application/json"},
                content=data,
            )
            assert sent.status_code == 202, sent.text
            if waits_next:
                await gateway.until_step(run, waits_next, "waiting")
    final = await gateway.until_closed(run)
    assert final["status"] == "completed"
    assert final["steps"]["finalize_order"]["status"] == "completed"
    assert upstream.received("POST", "/carts")[0].json() == {"user_id": "user_42"}
    assert upstream.received("POST", "/shipping/quote")[0].json() == {
        "cart_id": "cart_1", "address": {"street": "100 Main St", "city": "Berlin", "zip": "10115"},
    }
    assert upstream.received("POST", "/payments/authorize")[0].json()["shipping_method"] == "express"
    assert upstream.received("POST", "/orders")[0].json() == {"cart_id": "cart_1"}


async def test_the_temporal_cli_signals_a_run_like_the_api(
    gateway: Gateway, upstream: Upstream, temporal_env: WorkflowEnvironment
) -> None:
    shop(upstream)
    await gateway.http.put("/api/secrets/ECOM_API_URL", content=upstream.url)
    await gateway.deploy(CHECKOUT)
    started = await gateway.http.post(
        "/workflows/async-checkout", json={"user_id": "u"}, headers={"Prefer": "respond-async"}
    )
    run = started.json()["run_id"]
    await gateway.until_step(run, "confirm_address", "waiting")
    address = {"street": "100 Main St", "city": "Berlin", "zip": "10115"}
    process = await asyncio.create_subprocess_exec(  # async: the gateway shares this event loop
        temporal_binary(), "workflow", "signal", "--workflow-id", run, "--name", "address-submitted",
        "--input", json.dumps(address),
        "--address", temporal_env.client.service_client.config.target_host,
        "--namespace", temporal_env.client.namespace,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, (out + err).decode()
    state = await gateway.until_step(run, "select_shipping", "waiting")
    assert state["steps"]["compute_shipping"]["status"] == "completed"
    assert upstream.received("POST", "/shipping/quote")[0].json()["address"] == address
    events = (await gateway.http.get(f"/api/runs/{run}/events")).json()
    assert {"type": "signal.received", "name": "address-submitted"} in [
        {"type": e["type"], "name": e["data"].get("name")} for e in events
    ]


async def test_events_are_listed_oldest_first_and_followed_as_sse(gateway: Gateway) -> None:
    run_id = await start_waiting(gateway)
    listed = (await gateway.http.get(f"/api/runs/{run_id}/events")).json()
    seqs = [e["seq"] for e in listed]
    assert seqs == sorted(seqs) and listed[0]["type"] == "run.started"
    later = (await gateway.http.get(f"/api/runs/{run_id}/events", params={"after": seqs[-1]})).json()
    assert later == []

    frames: list[dict] = []

    async def follow() -> None:
        async with gateway.http.stream("GET", f"/api/runs/{run_id}/events", params={"follow": "true"}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    frames.append(json.loads(line[len("data: "):]))

    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.5)
    assert [f["seq"] for f in frames] == seqs  # history first
    await gateway.http.post(f"/api/runs/{run_id}/signal/go", json={"speed": "fast"})
    await asyncio.wait_for(follower, 20)  # the stream ends by itself once the run closed
    types = [f["type"] for f in frames]
    assert types[-1] == "run.completed" and "signal.received" in types
    assert [f["seq"] for f in frames] == sorted({f["seq"] for f in frames})


async def test_signal_and_cancel_on_a_closed_run_are_409(gateway: Gateway) -> None:
    run_id = await start_waiting(gateway)
    cancelled = await gateway.http.post(f"/api/runs/{run_id}/cancel")
    assert cancelled.status_code == 202 and cancelled.json() == {"run_id": run_id, "status": "cancel_requested"}
    assert (await gateway.until_closed(run_id))["status"] == "cancelled"
    late = await gateway.http.post(f"/api/runs/{run_id}/signal/go", json={})
    assert late.status_code == 409 and late.json()["error"]["code"] == "run_closed"
    again = await gateway.http.post(f"/api/runs/{run_id}/cancel")
    assert again.status_code == 409


async def test_runs_are_listed_and_filtered(gateway: Gateway) -> None:
    run_id = await start_waiting(gateway)

    async def listed(**params: str) -> list[dict]:
        for _ in range(100):  # visibility is eventually consistent
            found = (await gateway.http.get("/api/runs", params=params)).json()
            if any(r["run_id"] == run_id for r in found):
                return found  # type: ignore[no-any-return]
            await asyncio.sleep(0.1)
        raise AssertionError(f"{run_id} never listed with {params}")

    [mine] = [r for r in await listed(workflow="waits", status="running") if r["run_id"] == run_id]
    assert (mine["workflow"], mine["revision"], mine["status"]) == ("waits", 1, "running")
    others = (await gateway.http.get("/api/runs", params={"workflow": "nope"})).json()
    assert others == []
    done = (await gateway.http.get("/api/runs", params={"workflow": "waits", "status": "completed"})).json()
    assert all(r["run_id"] != run_id for r in done)
