"""Response-header directives end to end (SPEC §2): the seed's walkthrough on the real dev
server, against real upstreams on 127.0.0.1 answering exactly the seed's headers, plus
opt-in (skipped), rejected and self-signal cases."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.client import Client

from activities.catalog import MemoryCatalog
from contract.document import Document
from contract.messages import Event
from interpreter.search_attributes import REVISION_ATTR, WORKFLOW_NAME_ATTR
from tests.upstream import Received, Reply, Upstream
from tests.workflow.engine import Engine, running_engine

SEED = (Path(__file__).parents[2] / "examples" / "response-header-directives.yaml").read_text()
SEED_SERVICES = ("ORDER_SERVICE", "PAYMENT_GATEWAY", "FRAUD_SERVICE")

FULFILL_ORDER = """
name: fulfill-order
steps:
  ship:
    request:
      method: POST
      url: "{{ secrets.WAREHOUSE_URL }}/fulfill"
      body: "{{ trigger.body }}"
"""

HOLD = """
name: hold
steps:
  hold:
    wait: {signal: release}
"""


def doc(text: str) -> Document:
    return Document.model_validate(yaml.safe_load(text))


@pytest.fixture
async def engine(client: Client, upstream: Upstream) -> AsyncIterator[Engine]:
    """The production worker (create_worker) with fulfill-order and hold in its catalog."""
    values = {"WAREHOUSE_URL": upstream.url, "API": upstream.url}
    for service in SEED_SERVICES:
        values[f"{service}_URL"] = upstream.url
        values[f"{service}_TOKEN"] = f"tok-{service.lower()}"
    catalog = MemoryCatalog([doc(FULFILL_ORDER), doc(HOLD)])
    async with running_engine(client, values, catalog) as running:
        yield running


async def start_hold(engine: Engine, run_id: str | None = None) -> str:
    """An open run that waits forever: the target of cancels and signals."""
    run = engine.run_input(HOLD)
    if run_id is not None:
        run = run.model_copy(update={"run_id": run_id})
    await engine.runs.start(run)
    await engine.until_step(run.run_id, "hold", "waiting")
    return run.run_id


def of_type(events: list[Event], type_: str) -> list[tuple[str | None, dict[str, Any]]]:
    return [(e.step, e.data) for e in events if e.type == type_]


async def eventually(check: Any, timeout: float = 20) -> None:
    async def loop() -> None:
        while not await check():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(loop(), timeout)


# --- the seed walkthrough ------------------------------------------------------------------


def seed_routes(upstream: Upstream, victim: str, authorize_status: int = 200) -> None:
    """The three services answering exactly the seed's headers (the cancel names ``victim``)."""
    upstream.route(
        "POST", "/orders",
        Reply(201, {"order_id": "ord_42", "total_cents": 4999, "customer_email": "..."}, headers=[
            ("Dispatched-Log", "validated 3 line items, charging USD 49.99"),
            ("Dispatched-Delay", "250ms"),
            ("Dispatched-Spawn", "fulfill-order; input=eyJvcmRlcl9pZCI6Im9yZF80MiJ9; mode=detach"),
        ]),
    )
    upstream.route(
        "POST", "/authorize",
        Reply(authorize_status, {"auth_id": "auth_abc"}, headers=[
            ("Dispatched-Log", "authorization succeeded, capture pending"),
            ("Dispatched-Cancel", victim),
        ]),
    )

    def screen(request: Received) -> Reply:  # the fraud service signals the run that called it
        run = request.headers["dispatched-run-id"]
        signal = f"run={run}; name=needs-review; data=eyJyZWFzb24iOiJ2ZWxvY2l0eSJ9"
        return Reply(200, {"verdict": "manual_review"}, headers=[("Dispatched-Signal", signal)])

    upstream.route("POST", "/screen", screen)
    upstream.route("POST", "/orders/ord_42/confirm", Reply(200, {"ok": True}, headers=[("Dispatched-Log", "order recorded")]))
    # Slow enough that the parent closes first: a detached child must outlive it.
    upstream.route("POST", "/fulfill", Reply(200, {"shipment": "shp_1"}, delay=1.5))


async def test_seed_walkthrough_runs_as_written(engine: Engine, upstream: Upstream) -> None:
    victim = await start_hold(engine, f"run_xyz789{secrets.token_hex(4)}")
    seed_routes(upstream, victim)
    run = engine.run_input(SEED, {"sku": "A-1", "qty": 3})

    answer = await engine.runs.start_and_wait_response(run, timeout=30)
    assert answer is not None and answer.status == 200
    assert answer.body == {"order_id": "ord_42", "status": "confirmed"}  # the document-level response
    state = await engine.finish(run.run_id)
    assert state.status == "completed"
    assert {s: st.status for s, st in state.steps.items()} == dict.fromkeys(
        ["process_order", "authorize_payment", "screen_for_fraud", "record_order"], "completed"
    )
    events = await engine.events(run.run_id)
    assert of_type(events, "directive.rejected") == [] and of_type(events, "directive.skipped") == []

    # log lines, each in its step
    assert of_type(events, "log") == [
        ("process_order", {"message": "validated 3 line items, charging USD 49.99"}),
        ("authorize_payment", {"message": "authorization succeeded, capture pending"}),
        ("record_order", {"message": "order recorded"}),
    ]
    applied = {data["kind"]: (step, data) for step, data in of_type(events, "directive.applied")}

    # the 250 ms delay sits between process_order and both of its dependents
    assert applied["delay"] == ("process_order", {"kind": "delay", "duration": "250ms"})
    ordered = upstream.received("POST", "/orders")[0].at
    for path in ("/authorize", "/screen"):
        assert upstream.received("POST", path)[0].at - ordered >= 0.25

    # a detached fulfill-order child that outlives its parent and completes on its own
    step, spawn = applied["spawn"]
    assert step == "process_order" and spawn["workflow"] == "fulfill-order" and spawn["revision"] == 1
    child = spawn["run_id"]
    assert child.startswith("run_") and child != run.run_id
    assert (await engine.state(child)).status == "running"  # the parent is done, the child is not
    child_state = await engine.finish(child)
    assert (child_state.status, child_state.workflow) == ("completed", "fulfill-order")
    assert upstream.received("POST", "/fulfill")[0].json() == {"order_id": "ord_42"}  # decoded input = trigger.body
    described = await engine.client.get_workflow_handle(child).describe()
    assert described.parent_id == run.run_id
    assert described.typed_search_attributes.get(WORKFLOW_NAME_ATTR) == "fulfill-order"
    assert described.typed_search_attributes.get(REVISION_ATTR) == 1

    # the payment gateway's cancel reached the run it names
    assert applied["cancel"] == ("authorize_payment", {"kind": "cancel", "run_id": victim})
    assert (await engine.finish(victim)).status == "cancelled"

    # the fraud service's signal landed in this very run
    assert applied["signal"] == ("screen_for_fraud", {"kind": "signal", "run_id": run.run_id, "name": "needs-review"})
    assert any(e.type == "signal.received" and e.data["name"] == "needs-review" for e in events)

    # record_order ran because its `when` held
    assert len(upstream.received("POST", "/orders/ord_42/confirm")) == 1


async def test_seed_record_order_is_skipped_when_authorization_is_not_200(engine: Engine, upstream: Upstream) -> None:
    victim = await start_hold(engine)
    seed_routes(upstream, victim, authorize_status=202)
    run = engine.run_input(SEED, {"sku": "A-1"})
    answer = await engine.runs.start_and_wait_response(run, timeout=30)
    assert answer is not None and answer.body == {"order_id": "ord_42", "status": "confirmed"}
    state = await engine.finish(run.run_id)
    assert state.steps["record_order"].status == "skipped"
    assert upstream.received("POST", "/orders/ord_42/confirm") == []


# --- signal into the same run --------------------------------------------------------------

SELF_SIGNAL = """
name: self-signal
steps:
  screen:
    request: {method: POST, url: "{{ secrets.API }}/screen"}
    directives: [signal]
  review:
    after: [screen]
    wait: {signal: needs-review, timeout: 30s}
response:
  body: "{{ steps.review.signal.body }}"
"""


async def test_signal_to_own_run_wakes_a_wait_step_with_its_payload(engine: Engine, upstream: Upstream) -> None:
    def screen(request: Received) -> Reply:
        signal = f"run={request.headers['dispatched-run-id']}; name=needs-review; data=eyJyZWFzb24iOiJ2ZWxvY2l0eSJ9"
        return Reply(200, {}, headers=[("Dispatched-Signal", signal)])

    upstream.route("POST", "/screen", screen)
    run = engine.run_input(SELF_SIGNAL)
    answer = await engine.runs.start_and_wait_response(run, timeout=30)
    assert answer is not None and answer.body == {"reason": "velocity"}
    assert (await engine.finish(run.run_id)).steps["review"].status == "completed"


# --- opt-in: every kind a step does not list is skipped ----------------------------------

OPT_IN = """
name: opt-in
steps:
  nothing:
    request: {method: POST, url: "{{ secrets.API }}/all"}
  only_log:
    request: {method: POST, url: "{{ secrets.API }}/all"}
    directives: [log]
  next:
    after: [nothing, only_log]
    request: {url: "{{ secrets.API }}/next"}
"""


async def test_every_kind_not_listed_is_skipped_and_never_applied(engine: Engine, upstream: Upstream) -> None:
    victim = await start_hold(engine)
    signal_target = await start_hold(engine)
    every_kind = [
        ("Dispatched-Log", "hello"),
        ("Dispatched-Delay", "24h"),  # applied, it would hold `next` for a day
        ("Dispatched-Spawn", "fulfill-order; input=e30"),
        ("Dispatched-Cancel", victim),
        ("Dispatched-Signal", f"run={signal_target}; name=release"),
    ]
    upstream.route("POST", "/all", Reply(200, {}, headers=every_kind))
    upstream.route("GET", "/next", Reply(200, {}))
    run_id = await engine.start(OPT_IN)
    state = await engine.finish(run_id)
    assert state.status == "completed"
    events = await engine.events(run_id)

    skipped = of_type(events, "directive.skipped")
    assert [data for step, data in skipped if step == "nothing"] == [
        {"kind": name.removeprefix("Dispatched-").lower(), "header": name.lower(), "value": value}
        for name, value in every_kind
    ]
    assert [data["kind"] for step, data in skipped if step == "only_log"] == ["delay", "spawn", "cancel", "signal"]
    assert of_type(events, "log") == [("only_log", {"message": "hello"})]
    assert of_type(events, "directive.applied") == [] and of_type(events, "directive.rejected") == []
    assert upstream.received("POST", "/fulfill") == []
    for target in (victim, signal_target):  # neither cancelled nor signalled
        assert (await engine.state(target)).steps["hold"].status == "waiting"
        assert not any(e.type == "signal.received" for e in await engine.events(target))
        await engine.client.get_workflow_handle(target).terminate("test cleanup")


# --- rejected: malformed, missing targets, limits; the step still completes ---------------

ALL_KINDS = """
name: all-kinds
steps:
  call:
    request: {method: POST, url: "{{ secrets.API }}/call"}
    directives: [log, delay, spawn, cancel, signal]
  after_call:
    after: [call]
    request: {url: "{{ secrets.API }}/next"}
"""


async def test_malformed_and_unreachable_directives_are_rejected_and_the_run_goes_on(
    engine: Engine, upstream: Upstream
) -> None:
    closed = await start_hold(engine)
    await engine.client.get_workflow_handle(closed).terminate("closed on purpose")
    missing = f"run_missing{secrets.token_hex(6)}"
    headers = [
        ("Dispatched-Delay", "soon"),
        ("Dispatched-Delay", "25h"),
        ("Dispatched-Spawn", "no-such-workflow"),
        ("Dispatched-Spawn", "fulfill-order; mode=attach"),
        ("Dispatched-Spawn", "fulfill-order; input=%%%"),
        ("Dispatched-Cancel", missing),
        ("Dispatched-Cancel", closed),
        ("Dispatched-Cancel", "xyz789"),
        ("Dispatched-Signal", f"run={missing}; name=ping"),
        ("Dispatched-Signal", f"run={closed}; name=ping"),
        ("Dispatched-Signal", "run=run_1; name=ping; data=bm90IGpzb24"),
        ("Dispatched-Retry", "3"),
    ] + [("Dispatched-Log", f"line {i}") for i in range(5)]  # 17 in all: the last log is over the limit
    upstream.route("POST", "/call", Reply(200, {}, headers=headers))
    upstream.route("GET", "/next", Reply(200, {}))
    run_id = await engine.start(ALL_KINDS)
    state = await engine.finish(run_id)
    assert state.status == "completed"
    assert state.steps["call"].status == "completed" and state.steps["after_call"].status == "completed"

    events = await engine.events(run_id)
    reasons = [data["reason"] for _, data in of_type(events, "directive.rejected")]
    expected = [
        "invalid duration 'soon'",
        "over the limit of 24h",
        "unknown workflow 'no-such-workflow': it is not registered",
        "only mode=detach is supported",
        "input is not valid base64",
        f"could not cancel run '{missing}'",
        f"could not cancel run '{closed}'",
        "invalid run id 'xyz789'",
        f"could not signal run '{missing}'",
        f"could not signal run '{closed}'",
        "data is not valid JSON",
        "unknown directive",
        "over the limit of 16 directives per response",
    ]
    assert len(reasons) == len(expected), "\n".join(reasons)
    for reason, fragment in zip(reasons, expected, strict=True):
        assert fragment in reason
    assert [data["message"] for _, data in of_type(events, "log")] == [f"line {i}" for i in range(4)]
    assert of_type(events, "directive.applied") == []


SELF_CANCEL = """
name: self-cancel
steps:
  call:
    request: {method: POST, url: "{{ secrets.API }}/call"}
    directives: [cancel]
  later:
    after: [call]
    request: {url: "{{ secrets.API }}/next"}
"""


async def test_cancel_naming_its_own_run_is_rejected_and_the_run_goes_on(engine: Engine, upstream: Upstream) -> None:
    """Temporal never resolves a run's external cancel of itself; reject it rather than hang."""
    upstream.route("POST", "/call", lambda r: Reply(200, {}, headers=[("Dispatched-Cancel", r.headers["dispatched-run-id"])]))
    upstream.route("GET", "/next", Reply(200, {}))
    run_id = await engine.start(SELF_CANCEL)
    state = await engine.finish(run_id)
    assert state.status == "completed" and state.steps["later"].status == "completed"
    [(step, rejected)] = of_type(await engine.events(run_id), "directive.rejected")
    assert step == "call" and rejected["reason"].startswith("a run cannot cancel itself")


ECHO = """
name: echo
steps:
  call:
    request: {method: POST, url: "{{ secrets.API }}/echo"}
    directives: [log]
"""


async def test_a_secret_echoed_in_a_directive_never_reaches_the_events(engine: Engine, upstream: Upstream) -> None:
    upstream.route("POST", "/echo", Reply(200, {}, headers=[("Dispatched-Log", f"called {upstream.url}/echo")]))
    run_id = await engine.start(ECHO)
    assert (await engine.finish(run_id)).status == "completed"
    events = await engine.events(run_id)
    assert of_type(events, "log") == [("call", {"message": "called ***/echo"})]
    assert upstream.url not in "".join(e.model_dump_json() for e in events)
