"""The DAG the API gives the console (docs/api.md): ``graph`` on ``GET /api/workflows/{name}``
and ``GET /api/workflows/{name}/revisions/{revision}``, computed from the compiled plan."""

from __future__ import annotations

import httpx

from tests.cli.conftest import EXAMPLES, Live


async def test_the_graph_has_every_step_its_kind_edges_guard_signals_and_layer(live: Live) -> None:
    headers = {"Dispatched-Session": live.token}
    async with httpx.AsyncClient(base_url=live.url, headers=headers) as http:
        for name in ("async-checkout", "response-header-directives"):
            source = (EXAMPLES / f"{name}.yaml").read_text()
            assert (await http.put(f"/api/workflows/{name}", content=source)).status_code == 200
        steps = (await http.get("/api/workflows/async-checkout")).json()["graph"]["steps"]
        assert [s["id"] for s in steps] == ["create_cart", "confirm_address", "compute_shipping", "select_shipping",
                                            "authorize_payment", "confirm_payment", "finalize_order"]
        assert [s["layer"] for s in steps] == list(range(7))
        assert steps[5] == {"id": "confirm_payment", "kind": "wait", "after": ["authorize_payment"], "when": None,
                            "signals": ["payment-confirmed", "payment-cancelled"], "layer": 5}
        assert steps[6]["when"] == "steps.confirm_payment.signal.name == 'payment-confirmed'"
        assert steps[0]["kind"] == "request" and steps[0]["signals"] == []

        fan = {s["id"]: s for s in (await http.get("/api/workflows/response-header-directives")).json()["graph"]["steps"]}
        assert fan["record_order"]["after"] == ["authorize_payment", "screen_for_fraud"]
        assert [fan[s]["layer"] for s in ("process_order", "authorize_payment", "screen_for_fraud", "record_order")] == [0, 1, 1, 2]


async def test_every_revision_keeps_its_own_graph_even_once_deleted(live: Live) -> None:
    headers = {"Dispatched-Session": live.token}
    one = "name: grows\nsteps:\n  a: {wait: {signal: go}}\n"
    two = one + "  b: {after: [a], respond: {body: done}}\n"
    async with httpx.AsyncClient(base_url=live.url, headers=headers) as http:
        for source in (one, two):
            assert (await http.put("/api/workflows/grows", content=source)).status_code == 200
        assert (await http.delete("/api/workflows/grows")).status_code == 200
        first = (await http.get("/api/workflows/grows/revisions/1")).json()
        assert first["revision"] == 1 and first["source"] == one
        assert [s["id"] for s in first["graph"]["steps"]] == ["a"]
        second = (await http.get("/api/workflows/grows/revisions/2")).json()
        assert [(s["id"], s["kind"], s["layer"]) for s in second["graph"]["steps"]] == [("a", "wait", 0), ("b", "respond", 1)]
        missing = await http.get("/api/workflows/grows/revisions/3")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "workflow_not_found"
        # Another project sees none of it.
        assert (await http.post("/api/projects", json={"name": "elsewhere"})).status_code == 201
        other = await http.get("/api/workflows/grows/revisions/1", headers={"Dispatched-Project": "elsewhere"})
        assert other.status_code == 404
