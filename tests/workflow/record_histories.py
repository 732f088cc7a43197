"""Record the histories that tests/workflow/test_replay.py replays.

Run it again (``python -m tests.workflow.record_histories``) only when a change to the
workflow is meant to be incompatible with runs already in flight — and then think about
how those runs get through. Each scenario exercises a different part of the interpreter.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cli.dev.temporal_server import temporal_binary
from interpreter.search_attributes import SEARCH_ATTRIBUTES
from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine, running_engine

HISTORIES = Path(__file__).parent / "histories"
CHECKOUT = (Path(__file__).parents[2] / "examples" / "async-checkout.yaml").read_text()
MIXED = """
name: mixed
steps:
  compute: {request: {method: POST, url: "{{ secrets.API }}/compute", retry: {max_attempts: 3, initial_interval: 50ms}}}
  answer: {after: [compute], respond: {status: 201, body_from: steps.compute.response.body}}
  maybe: {after: [answer], wait: {signal: extra, timeout: 1s, on_timeout: skip}}
  never: {after: [maybe], request: {url: "{{ secrets.API }}/never"}}
  audit: {after: [answer], when: "steps.compute.response.status == 200", request: {url: "{{ secrets.API }}/audit"}}
"""
FAILING = 'name: failing\nsteps:\n  bad: {request: {url: "{{ secrets.API }}/missing"}}\n'


async def _checkout(engine: Engine) -> str:
    run_id = await engine.start(CHECKOUT, {"user_id": "user_42"})
    for step, signal, body in (
        ("confirm_address", "address-submitted", {"street": "100 Main St"}),
        ("select_shipping", "shipping-selected", {"method": "express"}),
        ("confirm_payment", "payment-confirmed", {"confirmed_at": "2026-05-15T12:00:00Z"}),
    ):
        await engine.until_step(run_id, step, "waiting")
        await engine.runs.signal(run_id, signal, body)
    return run_id


async def _mixed(engine: Engine) -> str:
    run = engine.run_input(MIXED)
    await engine.runs.start_and_wait_response(run, timeout=20)
    return run.run_id


async def _failing(engine: Engine) -> str:
    return await engine.start(FAILING)


async def record(client: Client) -> None:
    upstream = Upstream().start()
    for method, path, reply in (
        ("POST", "/carts", Reply(201, {"id": "cart_1"})), ("POST", "/shipping/quote", Reply(200, {"q": 1})),
        ("POST", "/payments/authorize", Reply(200, {})), ("POST", "/orders", Reply(201, {})),
        ("GET", "/audit", Reply(200, "ok")),
    ):
        upstream.route(method, path, reply)
    upstream.route("POST", "/compute", Reply(503, "busy"), Reply(200, {"total": 3}))
    try:
        async with running_engine(client, {"API": upstream.url, "ECOM_API_URL": upstream.url}) as engine:
            for name, scenario in (("checkout", _checkout), ("mixed", _mixed), ("failing", _failing)):
                run_id = await scenario(engine)
                await engine.finish(run_id)
                history = await client.get_workflow_handle(run_id).fetch_history()
                (HISTORIES / f"{name}.json").write_text(history.to_json())
    finally:
        upstream.stop()


async def main() -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=pydantic_data_converter,
        search_attributes=SEARCH_ATTRIBUTES,
    )
    try:
        await record(env.client)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
