"""Respond steps: the caller gets its answer while the DAG keeps going; first answer wins."""

from __future__ import annotations

import pytest

from contract.errors import RunFailed
from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine


async def test_respond_answers_before_later_steps_run(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("POST", "/compute", Reply(200, {"summary": {"total": 3}}))
    upstream.route("POST", "/audit", Reply(204, b""))
    doc = """
name: respond-early
steps:
  compute: {request: {method: POST, url: "{{ secrets.API }}/compute"}}
  answer:
    after: [compute]
    respond:
      status: 201
      headers: {X-Source: dispatched}
      body_from: steps.compute.response.body.summary
  approval: {after: [answer], wait: {signal: approve, timeout: 30s}}
  audit: {after: [approval], request: {method: POST, url: "{{ secrets.API }}/audit"}}
"""
    run = engine.run_input(doc)
    answer = await engine.runs.start_and_wait_response(run, timeout=20)
    assert answer is not None
    assert (answer.status, answer.headers, answer.body) == (201, {"X-Source": "dispatched"}, {"total": 3})
    state = await engine.state(run.run_id)
    assert state.status == "running" and state.steps["approval"].status == "waiting"
    assert upstream.received("POST", "/audit") == []

    await engine.signal(run.run_id, "approve", {})
    assert (await engine.finish(run.run_id)).status == "completed"
    assert len(upstream.received("POST", "/audit")) == 1


async def test_respond_without_body_sends_the_upstream_output(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("GET", "/data", Reply(200, {"items": [1, 2]}))
    doc = 'name: r\nsteps:\n  data: {request: {url: "{{ secrets.API }}/data"}}\n  out: {after: [data], respond: {}}\n'
    answer = await engine.runs.start_and_wait_response(engine.run_input(doc), timeout=20)
    assert answer is not None and answer.body == {"items": [1, 2]} and answer.content_type == "application/json"


async def test_first_response_wins_and_later_ones_are_dropped(engine: Engine) -> None:
    doc = """
name: two-answers
steps:
  one: {respond: {status: 200, body: first}}
  two: {after: [one], respond: {status: 202, body: second}}
response: {status: 203, body: third}
"""
    run = engine.run_input(doc)
    answer = await engine.runs.start_and_wait_response(run, timeout=20)
    assert answer is not None and (answer.status, answer.body) == (200, "first")
    await engine.finish(run.run_id)
    events = [(e.type, e.data.get("source")) for e in await engine.events(run.run_id) if e.type.startswith("respond.")]
    assert events == [("respond.published", "one"), ("respond.dropped", "two"), ("respond.dropped", "response")]


async def test_without_any_response_the_answer_is_the_run_outcome(engine: Engine) -> None:
    run = engine.run_input("name: quiet\nsteps:\n  hold: {wait: {signal: go, timeout: 30s}}\n")
    await engine.runs.start(run)
    assert await engine.wait_response(run.run_id, timeout=0.5) is None
    await engine.signal(run.run_id, "go", None)
    answer = await engine.wait_response(run.run_id, timeout=20)
    assert answer is not None and answer.body == {"run_id": run.run_id, "status": "completed"}
    # A closed run still gives its answer (from the workflow result).
    again = await engine.wait_response(run.run_id, timeout=5)
    assert again == answer


async def test_run_failing_before_answering_raises_run_failed(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("GET", "/x", Reply(403, "denied"))
    doc = 'name: f\nsteps:\n  x: {request: {url: "{{ secrets.API }}/x"}}\n  out: {after: [x], respond: {}}\n'
    run = engine.run_input(doc)
    with pytest.raises(RunFailed) as failed:
        await engine.runs.start_and_wait_response(run, timeout=20)
    assert failed.value.error.code == "step_failed"
    assert "answered 403" in failed.value.error.message
    with pytest.raises(RunFailed):
        await engine.wait_response(run.run_id, timeout=5)


async def test_an_existing_run_id_is_joined_not_restarted(engine: Engine) -> None:
    run = engine.run_input("name: once\nsteps:\n  hold: {wait: {signal: go, timeout: 30s}}\n")
    await engine.runs.start(run)
    assert await engine.runs.start_and_wait_response(run, timeout=0.5) is None
    await engine.signal(run.run_id, "go", None)
    answer = await engine.runs.start_and_wait_response(run, timeout=20)
    assert answer is not None and answer.body["run_id"] == run.run_id
    history = [e async for e in engine.client.get_workflow_handle(run.run_id).fetch_history_events()]
    assert sum(1 for e in history if e.HasField("workflow_execution_started_event_attributes")) == 1


async def test_the_answer_comes_in_the_update_with_start_call_itself(
    engine: Engine, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One round trip: the call waits for the update's completed stage, so the client
    never has to poll for the outcome afterwards (bench/README.md). The answer follows a
    request step, so it comes workflow tasks after the update was accepted."""
    engine.secrets.values["API"] = upstream.url
    upstream.route("GET", "/data", Reply(200, {"n": 1}))
    service = engine.client.workflow_service
    calls: list[str] = []
    for name in ("execute_multi_operation", "poll_workflow_execution_update"):
        real = getattr(service, name)

        async def spy(*args: object, _real: object = real, _name: str = name, **kwargs: object) -> object:
            calls.append(_name)
            return await _real(*args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(service, name, spy)
    doc = 'name: later\nsteps:\n  data: {request: {url: "{{ secrets.API }}/data"}}\n  out: {after: [data], respond: {}}\n'
    answer = await engine.runs.start_and_wait_response(engine.run_input(doc), timeout=20)
    assert answer is not None and answer.body == {"n": 1}
    assert calls == ["execute_multi_operation"]
