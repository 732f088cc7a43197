"""The directive example end to end: the demo upstream's headers steer a real run, the
spawned fulfill-order child completes, and the payment gateway cancels only the run named."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.cli.conftest import EXAMPLES, Live


async def setup_examples(live: Live) -> None:
    for name, value in live.demo.secret_values().items():
        await live.ok("secrets", "set", name, value)
    for example in ("response-header-directives", "fulfill-order", "async-checkout"):
        await live.ok("workflow", "deploy", str(EXAMPLES / f"{example}.yaml"))


async def runs_of(live: Live, workflow: str, *, status: str, count: int = 1) -> list[dict[str, Any]]:
    for _ in range(100):  # visibility is eventually consistent
        runs = json.loads(await live.ok("run", "list", "--workflow", workflow, "--status", status, "--json"))
        if len(runs) >= count:
            return runs
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {status} run of {workflow}")


async def test_directives_example_spawns_the_child_and_answers(live: Live) -> None:
    await setup_examples(live)
    answer = json.loads(await live.ok("run", "start", "response-header-directives", "--data", '{"order_id": "ord_42"}'))
    assert answer == {"order_id": "ord_42", "status": "confirmed"}

    parent = (await runs_of(live, "response-header-directives", status="completed"))[0]["run_id"]
    events = json.loads(await live.ok("run", "events", parent, "--json"))
    applied = {e["data"].get("kind") for e in events if e["type"] == "directive.applied"}
    assert {"delay", "spawn", "signal"} <= applied
    assert "validated 3 line items, charging USD 49.99" in [e["data"].get("message") for e in events if e["type"] == "log"]

    child = (await runs_of(live, "fulfill-order", status="completed"))[0]["run_id"]
    shown = await live.ok("run", "show", child)
    assert "reserve_stock" in shown and "ship" in shown and "failed" not in shown


async def test_payment_gateway_cancels_the_run_named_in_the_order(live: Live) -> None:
    await setup_examples(live)
    victim = (await live.ok("run", "start", "async-checkout", "--async", "--data", '{"user_id": "u"}')).strip()
    await live.ok("run", "start", "response-header-directives",
                  "--data", json.dumps({"order_id": "ord_43", "cancel_run": victim}))
    for _ in range(100):
        if json.loads(await live.ok("run", "show", victim, "--json"))["status"] == "cancelled":
            break
        await asyncio.sleep(0.2)
    assert json.loads(await live.ok("run", "show", victim, "--json"))["status"] == "cancelled"
