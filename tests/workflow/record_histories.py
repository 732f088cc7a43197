"""Record the histories that tests/workflow/test_replay.py replays.

Run it again (``python -m tests.workflow.record_histories [NAME ...]``, default: all) only
when a change to the workflow is meant to be incompatible with runs already in flight —
and then think about how those runs get through. Each scenario exercises a different part
of the interpreter. ``directives`` was recorded before projects existed (no
``DispatchedProject``, a signal directive to another run sent without a look-up), so it
checks that the ``directive-target-project`` patch keeps such runs replaying; recording
it again today records the patched path instead. Likewise its spawn is from before the
``spawn-lineage`` patch; ``lineage`` records the patched spawn (limits checked, children at
lineage places).

``--encrypted`` records into ``histories/encrypted/`` with the suite's fixed payload key
(tests/payload_key.py), as every Dispatched client encodes today; the plain histories at
the top are from before encryption and replay through the codec's pass-through.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import yaml
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from activities.catalog import MemoryCatalog
from cli.dev.temporal_server import temporal_binary
from contract.document import Document
from interpreter.search_attributes import SEARCH_ATTRIBUTES
from tests.payload_key import TEST_CONVERTER
from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine, running_engine

HISTORIES = Path(__file__).parent / "histories"
ENCRYPTED = HISTORIES / "encrypted"
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
# One step whose upstream answers a spawn, a cancel and a signal to other runs.
DIRECTIVES = """
name: directives
steps:
  call: {request: {method: POST, url: "{{ secrets.API }}/directives"}, directives: [log, spawn, cancel, signal]}
"""
# One step whose upstream answers two spawns: the spawn limits' path (spawn-lineage patch).
LINEAGE = """
name: lineage
steps:
  call: {request: {method: POST, url: "{{ secrets.API }}/lineage"}, directives: [spawn]}
"""
CHILD = 'name: child\nsteps:\n  ship: {request: {method: POST, url: "{{ secrets.API }}/child"}}\n'
HOLD = "name: hold\nsteps:\n  hold: {wait: {signal: release}}\n"


async def _checkout(engine: Engine) -> str:
    run_id = await engine.start(CHECKOUT, {"user_id": "user_42"})
    for step, signal, body in (
        ("confirm_address", "address-submitted", {"street": "100 Main St"}),
        ("select_shipping", "shipping-selected", {"method": "express"}),
        ("confirm_payment", "payment-confirmed", {"confirmed_at": "2026-05-15T12:00:00Z"}),
    ):
        await engine.until_step(run_id, step, "waiting")
        await engine.signal(run_id, signal, body)
    return run_id


async def _mixed(engine: Engine) -> str:
    run = engine.run_input(MIXED)
    await engine.runs.start_and_wait_response(run, timeout=20)
    return run.run_id


async def _failing(engine: Engine) -> str:
    return await engine.start(FAILING)


async def _directives(engine: Engine, upstream: Upstream) -> str:
    cancelled, signalled = await engine.start(HOLD), await engine.start(HOLD)
    for target in (cancelled, signalled):
        await engine.until_step(target, "hold", "waiting")
    upstream.route("POST", "/directives", Reply(200, {}, headers=[
        ("Dispatched-Log", "steering"),
        ("Dispatched-Spawn", "child; input=e30"),
        ("Dispatched-Cancel", cancelled),
        ("Dispatched-Signal", f"run={signalled}; name=release"),
    ]))
    run_id = await engine.start(DIRECTIVES)
    for target in (cancelled, signalled):
        await engine.finish(target)
    return run_id


async def _lineage(engine: Engine, upstream: Upstream) -> str:
    spawn = ("Dispatched-Spawn", "child; input=e30")
    upstream.route("POST", "/lineage", Reply(200, {}, headers=[spawn, spawn]))
    run_id = await engine.start(LINEAGE)
    await engine.finish(run_id)
    for event in await engine.events(run_id):
        if event.type == "directive.applied":
            await engine.finish(event.data["run_id"])
    return run_id


async def record(client: Client, names: Sequence[str] = (), *, into: Path = HISTORIES) -> None:
    """Record the scenarios ``names`` (every one when empty) into ``into``."""
    upstream = Upstream().start()
    for method, path, reply in (
        ("POST", "/carts", Reply(201, {"id": "cart_1"})), ("POST", "/shipping/quote", Reply(200, {"q": 1})),
        ("POST", "/payments/authorize", Reply(200, {})), ("POST", "/orders", Reply(201, {})),
        ("GET", "/audit", Reply(200, "ok")), ("POST", "/child", Reply(200, {})),
    ):
        upstream.route(method, path, reply)
    upstream.route("POST", "/compute", Reply(503, "busy"), Reply(200, {"total": 3}))
    scenarios: dict[str, Callable[[Engine], Awaitable[str]]] = {
        "checkout": _checkout, "mixed": _mixed, "failing": _failing,
        "directives": lambda engine: _directives(engine, upstream),
        "lineage": lambda engine: _lineage(engine, upstream),
    }
    catalog = MemoryCatalog([Document.model_validate(yaml.safe_load(CHILD))])
    try:
        secrets = {"API": upstream.url, "ECOM_API_URL": upstream.url}
        async with running_engine(client, secrets, catalog) as engine:
            for name in names or scenarios:
                run_id = await scenarios[name](engine)
                await engine.finish(run_id)
                history = await client.get_workflow_handle(run_id).fetch_history()
                (into / f"{name}.json").write_text(history.to_json())
    finally:
        upstream.stop()


async def main(names: Sequence[str], *, encrypted: bool = False) -> None:
    converter: DataConverter = TEST_CONVERTER if encrypted else pydantic_data_converter
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), data_converter=converter,
        search_attributes=SEARCH_ATTRIBUTES,
    )
    try:
        ENCRYPTED.mkdir(exist_ok=True)
        await record(env.client, names, into=ENCRYPTED if encrypted else HISTORIES)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(main([a for a in arguments if a != "--encrypted"], encrypted="--encrypted" in arguments))
