"""Wait steps: signals (early, `any`, unconsumed) and timeouts with fail / skip / continue."""

from __future__ import annotations

import pytest

from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine


def _timeout_doc(on_timeout: str) -> str:
    return f"""
name: waits
steps:
  hold:
    wait: {{signal: go, timeout: 1s, on_timeout: {on_timeout}}}
  after_hold:
    after: [hold]
    respond: {{body: {{seen: "{{{{ steps.hold.signal }}}}", status: "{{{{ steps.hold.status }}}}"}}}}
"""


async def test_timeout_fail_fails_the_run_with_wait_timeout(engine: Engine) -> None:
    run_id = await engine.start(_timeout_doc("fail"))
    state = await engine.finish(run_id)
    assert state.status == "failed"
    assert state.error is not None and state.error.code == "wait_timeout"
    assert state.steps["hold"].status == "failed"
    assert state.steps["after_hold"].status == "cancelled"


async def test_timeout_skip_skips_the_step_and_its_dependents(engine: Engine) -> None:
    run_id = await engine.start(_timeout_doc("skip"))
    state = await engine.finish(run_id)
    assert state.status == "completed"
    assert (state.steps["hold"].status, state.steps["after_hold"].status) == ("skipped", "skipped")


async def test_timeout_continue_completes_with_null_signal(engine: Engine) -> None:
    run = engine.run_input(_timeout_doc("continue"))
    answer = await engine.runs.start_and_wait_response(run, timeout=20)
    assert answer is not None
    assert answer.body == {"seen": None, "status": "completed"}


async def test_signal_sent_before_the_wait_is_kept(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("GET", "/slow", Reply(200, {"ok": True}, delay=1.0))
    doc = """
name: early
steps:
  slow:
    request: {url: "{{ secrets.API }}/slow"}
  hold:
    after: [slow]
    wait: {signal: go, timeout: 30s}
"""
    run_id = await engine.start(doc)
    await engine.until_step(run_id, "slow", "running")
    await engine.signal(run_id, "go", {"n": 1})
    state = await engine.finish(run_id)
    assert state.status == "completed"
    events = [(e.type, e.step) for e in await engine.events(run_id)]
    assert events.index(("signal.received", None)) < events.index(("step.started", "hold"))
    assert ("signal.consumed", "hold") in events


async def test_any_wakes_on_either_signal_and_leftovers_are_listed(engine: Engine) -> None:
    doc = """
name: any-of
steps:
  gate: {wait: {signal: open, timeout: 30s}}
  decide:
    after: [gate]
    wait: {any: [approve, reject], timeout: 30s}
  answer:
    after: [decide]
    respond: {body: "{{ steps.decide.signal }}"}
"""
    run = engine.run_input(doc)
    await engine.runs.start(run)
    for name, body in (("reject", {"why": "late"}), ("approve", {"second": True}), ("stray", None), ("open", None)):
        await engine.signal(run.run_id, name, body)
    answer = await engine.wait_response(run.run_id, timeout=20)
    assert answer is not None
    assert answer.body["name"] == "reject" and answer.body["body"] == {"why": "late"}
    await engine.finish(run.run_id)
    unconsumed = [e.data["name"] for e in await engine.events(run.run_id) if e.type == "signal.unconsumed"]
    assert sorted(unconsumed) == ["approve", "stray"]


async def test_one_signal_wakes_one_wait(engine: Engine) -> None:
    doc = """
name: two-waits
steps:
  a: {wait: {signal: go, timeout: 2s, on_timeout: skip}}
  b: {wait: {signal: go, timeout: 2s, on_timeout: skip}}
"""
    run_id = await engine.start(doc)
    await engine.until_step(run_id, "b", "waiting")
    await engine.signal(run_id, "go", 1)
    state = await engine.finish(run_id)
    assert sorted(st.status for st in state.steps.values()) == ["completed", "skipped"]


@pytest.mark.parametrize("payload", [{"street": "x"}, [1, 2], "text", 7, None])
async def test_signal_payload_reaches_the_next_step(engine: Engine, payload: object) -> None:
    doc = """
name: echo
steps:
  hold: {wait: {signal: data, timeout: 30s}}
  echo:
    after: [hold]
    respond: {body: "{{ steps.hold.signal.body }}"}
"""
    run = engine.run_input(doc)
    await engine.runs.start(run)
    await engine.signal(run.run_id, "data", payload)
    answer = await engine.wait_response(run.run_id, timeout=20)
    assert answer is not None and answer.body == payload
