"""The seed's async-checkout walkthrough on a real dev server with a real shop upstream."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from contract.document import Document
from interpreter.search_attributes import PROJECT_ATTR, REVISION_ATTR, WORKFLOW_NAME_ATTR
from tests.upstream import Received, Reply, Upstream
from tests.workflow.engine import Engine

CHECKOUT = Document.model_validate(yaml.safe_load((Path(__file__).parents[2] / "examples" / "async-checkout.yaml").read_text()))


@pytest.fixture
def shop(engine: Engine, upstream: Upstream) -> Upstream:
    engine.secrets.values["ECOM_API_URL"] = upstream.url
    upstream.route("POST", "/carts", Reply(201, {"id": "cart_1"}))
    upstream.route("POST", "/shipping/quote", lambda r: Reply(200, {"quotes": [{"method": "express", "to": r.json()["address"]}]}))
    upstream.route("POST", "/payments/authorize", Reply(200, {"auth_id": "auth_1"}))
    upstream.route("POST", "/orders", Reply(201, {"order_id": "ord_1"}))
    return upstream


async def _drive_to_payment(engine: Engine, run_id: str) -> None:
    await engine.until_step(run_id, "confirm_address", "waiting")
    await engine.signal(run_id, "address-submitted", {"street": "100 Main St", "city": "Berlin", "zip": "10115"})
    await engine.until_step(run_id, "select_shipping", "waiting")
    await engine.signal(run_id, "shipping-selected", {"method": "express"})
    await engine.until_step(run_id, "confirm_payment", "waiting")


async def test_confirmed_checkout_places_the_order(engine: Engine, shop: Upstream) -> None:
    run_id = await engine.start(CHECKOUT, {"user_id": "user_42"})
    await _drive_to_payment(engine, run_id)
    await engine.signal(run_id, "payment-confirmed", {"confirmed_at": "2026-05-15T12:00:00Z"})
    state = await engine.finish(run_id)

    assert state.status == "completed"
    assert all(step.status == "completed" for step in state.steps.values())
    assert shop.received("POST", "/carts")[0].json() == {"user_id": "user_42"}
    quote: Received = shop.received("POST", "/shipping/quote")[0]
    assert quote.json() == {"cart_id": "cart_1", "address": {"street": "100 Main St", "city": "Berlin", "zip": "10115"}}
    assert shop.received("POST", "/payments/authorize")[0].json() == {"cart_id": "cart_1", "shipping_method": "express"}
    assert shop.received("POST", "/orders")[0].json() == {"cart_id": "cart_1"}


async def test_cancelled_payment_skips_finalize(engine: Engine, shop: Upstream) -> None:
    run_id = await engine.start(CHECKOUT, {"user_id": "user_42"})
    await _drive_to_payment(engine, run_id)
    await engine.signal(run_id, "payment-cancelled", {"reason": "user"})
    state = await engine.finish(run_id)

    assert state.status == "completed"
    assert state.steps["confirm_payment"].status == "completed"
    assert state.steps["finalize_order"].status == "skipped"
    assert shop.received("POST", "/orders") == []
    skipped = [e for e in await engine.events(run_id) if e.type == "step.skipped"]
    assert [(e.step, e.data["reason"]) for e in skipped] == [("finalize_order", "when was false")]


async def test_waiting_run_shows_step_states_not_output(engine: Engine, shop: Upstream) -> None:
    run_id = await engine.start(CHECKOUT, {"user_id": "user_42"})
    state = await engine.until_step(run_id, "confirm_address", "waiting")
    assert state.status == "running"
    assert state.steps["create_cart"].status == "completed"
    assert state.steps["create_cart"].attempts == 1
    assert state.steps["compute_shipping"].status == "pending"
    assert "cart_1" not in state.model_dump_json()
    await engine.cancel(run_id)
    cancelled = await engine.finish(run_id)
    assert cancelled.status == "cancelled"
    assert cancelled.steps["confirm_address"].status == "cancelled"


async def test_run_is_labelled_with_workflow_and_revision(engine: Engine, shop: Upstream) -> None:
    run = engine.run_input(CHECKOUT, {"user_id": "u"}, revision=3)
    await engine.runs.start(run)
    description = await engine.client.get_workflow_handle(run.run_id).describe()
    assert await description.memo() == {"workflow": "async-checkout", "revision": 3, "version": 1, "project": "default"}
    assert description.typed_search_attributes.get(WORKFLOW_NAME_ATTR) == "async-checkout"
    assert description.typed_search_attributes.get(REVISION_ATTR) == 3
    assert description.typed_search_attributes.get(PROJECT_ATTR) == "default"
    assert await _listed(engine, run.run_id, status="running")
    await engine.cancel(run.run_id)
    await engine.finish(run.run_id)
    assert await _listed(engine, run.run_id, status="cancelled")


async def _listed(engine: Engine, run_id: str, *, status: str) -> bool:
    """Visibility is eventually consistent: poll for a few seconds."""
    for _ in range(100):
        runs = await engine.runs.list_runs(project=engine.project, workflow="async-checkout", status=status)  # type: ignore[arg-type]
        if any(r.run_id == run_id and r.revision == 3 for r in runs):
            return True
        await asyncio.sleep(0.05)
    return False
