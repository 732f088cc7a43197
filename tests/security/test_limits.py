"""Each limit of contract.limits and the gateway, hit on purpose: a clear error or
event, never a run terminated by Temporal. Counting limits are lowered for the test
(monkeypatched module constants the workflow reads at run time) to stay fast; the real
values are checked against Temporal's caps separately."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest

from contract import limits
from contract.limits import MAX_REQUEST_BODY_BYTES as MAX_BODY_BYTES
from contract.problems import DocumentInvalid
from interpreter.loader import load_document
from tests.gateway.conftest import Gateway
from tests.upstream import Received, Reply, Upstream
from tests.workflow.engine import Engine

HOLD = """
name: hold
steps:
  hold:
    wait: {signal: go}
"""

TEMPORAL_PENDING_CAP = 2_000
TEMPORAL_HISTORY_EVENTS = 51_200
TEMPORAL_HISTORY_BYTES = 50 * 1024 * 1024


def test_the_limits_stay_under_temporals_own() -> None:
    assert limits.MAX_STEPS < TEMPORAL_PENDING_CAP
    assert len(limits.COUNTED_DIRECTIVES) * limits.MAX_DIRECTIVE_EFFECTS < TEMPORAL_PENDING_CAP
    assert limits.HISTORY_EVENTS < TEMPORAL_HISTORY_EVENTS and limits.HISTORY_BYTES < TEMPORAL_HISTORY_BYTES
    assert limits.MAX_SIGNAL_BYTES < 2 * 1024 * 1024  # Temporal's payload limit


def test_too_many_steps_is_a_located_problem() -> None:
    steps = {f"s{i}": {"request": {"url": "http://x/"}} for i in range(limits.MAX_STEPS + 1)}
    text = "name: big\nsteps:\n" + "".join(f"  {sid}:\n    request: {{url: 'http://x/'}}\n" for sid in steps)
    with pytest.raises(DocumentInvalid) as invalid:
        load_document(text)
    [problem] = invalid.value.problems
    assert problem.path == ("steps",) and problem.line == 2 and f"at most {limits.MAX_STEPS}" in problem.message
    load_document(json.dumps({"name": "ok", "steps": dict(list(steps.items())[: limits.MAX_STEPS])}))


async def test_trigger_body_over_1_mib_is_413(gateway: Gateway) -> None:
    name = f"hold-{uuid.uuid4().hex[:8]}"  # the dev server is shared: no other test's runs
    await gateway.deploy(HOLD.replace("name: hold", f"name: {name}"))
    big = b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}'
    answer = await gateway.http.post(f"/workflows/{name}", content=big, headers={"Prefer": "respond-async"})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "body_too_large"
    # Sent without a Content-Length (chunked), the stream is cut at the limit all the same.
    async def chunks() -> Any:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"a" * 65536

    answer = await gateway.http.post(f"/workflows/{name}", content=chunks(), headers={"Prefer": "respond-async"})
    assert answer.status_code == 413
    assert (await gateway.http.get(f"/api/runs?workflow={name}")).json() == []


async def test_signal_payload_over_256_kib_is_413_at_the_gateway(gateway: Gateway) -> None:
    await gateway.deploy(HOLD)
    run_id = (await gateway.http.post("/workflows/hold", json={}, headers={"Prefer": "respond-async"})).json()["run_id"]
    await gateway.until_step(run_id, "hold", "waiting")
    big = json.dumps({"blob": "a" * limits.MAX_SIGNAL_BYTES})
    answer = await gateway.http.post(f"/api/runs/{run_id}/signal/go", content=big)
    assert answer.status_code == 413 and "256 KiB" in answer.json()["error"]["message"]
    assert (await gateway.http.post(f"/api/runs/{run_id}/signal/go", json={"ok": 1})).status_code == 202
    assert (await gateway.until_closed(run_id))["status"] == "completed"


async def test_oversized_signal_straight_through_temporal_is_rejected_not_kept(engine: Engine) -> None:
    run_id = await engine.start(HOLD)
    await engine.until_step(run_id, "hold", "waiting")
    handle = engine.client.get_workflow_handle(run_id)
    await handle.signal("go", {"blob": "a" * limits.MAX_SIGNAL_BYTES})
    rejected = await _event(engine, run_id, "signal.rejected")
    assert rejected.data["name"] == "go" and "256 KiB" in rejected.data["reason"]
    assert (await engine.state(run_id)).steps["hold"].status == "waiting"
    await handle.signal("go", {"small": True})
    assert (await engine.finish(run_id)).status == "completed"


async def test_signals_past_the_run_limit_are_rejected(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_SIGNALS", 3)
    run_id = await engine.start(HOLD)
    await engine.until_step(run_id, "hold", "waiting")
    handle = engine.client.get_workflow_handle(run_id)
    for i in range(5):
        await handle.signal("other", {"i": i})
    await _event(engine, run_id, "signal.rejected", count=2)
    events = await engine.events(run_id)
    assert [e.type for e in events].count("signal.received") == 3
    assert all("already received 3 signals" in e.data["reason"] for e in events if e.type == "signal.rejected")
    await handle.signal("go", None)  # still over the limit: rejected, so the wait goes on
    await _event(engine, run_id, "signal.rejected", count=3)
    await handle.cancel()


async def test_directive_effects_past_the_run_budget_are_rejected(
    engine: Engine, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_DIRECTIVE_EFFECTS", 2)

    def three_self_signals(received: Received) -> Reply:
        run = received.headers["dispatched-run-id"]
        return Reply(200, {}, headers=[("Dispatched-Signal", f"run={run}; name=n{i}") for i in range(3)])

    upstream.route("GET", "/d", three_self_signals)
    doc = f"""
name: budget
steps:
  call:
    directives: [signal]
    request: {{url: "{upstream.url}/d"}}
"""
    state = await engine.finish(await engine.start(doc))
    events = await engine.events(state.run_id)
    applied = [e.data["name"] for e in events if e.type == "directive.applied"]
    rejected = [e.data for e in events if e.type == "directive.rejected"]
    assert state.status == "completed" and applied == ["n0", "n1"]
    assert len(rejected) == 1 and "already sent 2 signal directives" in rejected[0]["reason"]


async def test_a_run_near_the_history_limit_fails_clearly(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "HISTORY_EVENTS", 40)
    run_id = await engine.start(HOLD)
    await engine.until_step(run_id, "hold", "waiting")
    handle = engine.client.get_workflow_handle(run_id)
    for i in range(40):
        if (await engine.state(run_id)).status != "running":
            break
        await handle.signal("noise", {"i": i})
    state = await engine.finish(run_id)
    assert state.status == "failed" and state.error is not None and state.error.code == "history_limit"
    assert "history reached" in state.error.message and state.steps["hold"].status == "cancelled"
    description = await handle.describe()
    assert description.status is not None and description.status.name == "FAILED"  # failed by us, not terminated


async def _event(engine: Engine, run_id: str, type_: str, *, count: int = 1, timeout: float = 10) -> Any:
    async def seen() -> Any:
        while True:
            found = [e for e in await engine.events(run_id) if e.type == type_]
            if len(found) >= count:
                return found[-1]
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(seen(), timeout)


async def test_an_undecodable_signal_payload_is_rejected_not_fatal(engine: Engine) -> None:
    """Straight through Temporal (no gateway to refuse it): JSON nested 3,000 deep."""
    run_id = await engine.start(HOLD)
    await engine.until_step(run_id, "hold", "waiting")
    deep = Payload(metadata={"encoding": b"json/plain"}, data=b"[" * 3000 + b"]" * 3000)
    await engine.client.workflow_service.signal_workflow_execution(SignalWorkflowExecutionRequest(
        namespace=engine.client.namespace, workflow_execution=WorkflowExecution(workflow_id=run_id),
        signal_name="go", input=Payloads(payloads=[deep]), identity="test",
    ))
    rejected = await _event(engine, run_id, "signal.rejected")
    assert rejected.data["name"] == "go" and "could not be decoded" in rejected.data["reason"]
    await engine.client.get_workflow_handle(run_id).signal("go", {"fine": True})
    assert (await engine.finish(run_id)).status == "completed"
