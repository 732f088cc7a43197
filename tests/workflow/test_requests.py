"""Request steps against real upstreams: retries, final 4xx, fail-fast, body cap, wire format."""

from __future__ import annotations

from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine

RETRYING = """
name: retrying
steps:
  call:
    request:
      method: POST
      url: "{{ secrets.API }}/flaky"
      body: {n: 1}
      retry: {max_attempts: 4, initial_interval: 100ms, backoff: 1.0}
"""


async def test_retries_then_success_with_the_same_idempotency_key(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("POST", "/flaky", Reply(503, "busy"), Reply(429, "slow down"), Reply(200, {"ok": True}))
    run_id = await engine.start(RETRYING)
    state = await engine.finish(run_id)
    assert state.status == "completed"
    assert state.steps["call"].attempts == 3
    keys = {r.headers["idempotency-key"] for r in upstream.received("POST", "/flaky")}
    assert len(upstream.received("POST", "/flaky")) == 3
    assert keys == {f"{run_id}:call"}


async def test_client_error_fails_at_once_without_retry(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("POST", "/flaky", Reply(404, {"error": "no such cart"}))
    run_id = await engine.start(RETRYING)
    state = await engine.finish(run_id)
    assert state.status == "failed"
    assert len(upstream.received("POST", "/flaky")) == 1
    step = state.steps["call"]
    assert (step.status, step.attempts) == ("failed", 1)
    assert step.error is not None and step.error.code == "http_status"
    assert "answered 404" in step.error.message and "no such cart" in step.error.message
    assert state.error is not None and state.error.code == "step_failed"


async def test_retries_exhausted_fail_the_step(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("POST", "/flaky", Reply(500, "down"))
    state = await engine.finish(await engine.start(RETRYING))
    assert state.status == "failed"
    assert state.steps["call"].attempts == 4
    assert len(upstream.received("POST", "/flaky")) == 4


async def test_failed_step_cancels_steps_still_running(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("GET", "/bad", Reply(400, "bad"))
    doc = """
name: fail-fast
steps:
  hold: {wait: {signal: never, timeout: 1h}}
  bad: {request: {url: "{{ secrets.API }}/bad"}}
  later: {after: [hold], respond: {}}
"""
    run_id = await engine.start(doc)
    state = await engine.finish(run_id)
    assert state.status == "failed"
    assert [state.steps[s].status for s in ("hold", "bad", "later")] == ["cancelled", "failed", "cancelled"]


async def test_independent_steps_run_concurrently(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("GET", "/a", Reply(200, "a", delay=0.5))
    upstream.route("GET", "/b", Reply(200, "b", delay=0.5))
    doc = """
name: fan
steps:
  a: {request: {url: "{{ secrets.API }}/a"}}
  b: {request: {url: "{{ secrets.API }}/b"}}
  join: {after: [a, b], respond: {body: ["{{ steps.a.response.body }}", "{{ steps.b.response.body }}"]}}
"""
    answer = await engine.runs.start_and_wait_response(engine.run_input(doc), timeout=20)
    assert answer is not None and answer.body == ["a", "b"]
    first, second = sorted(r.at for r in upstream.requests)
    assert second - first < 0.5, "the second request only left after the first one was answered"


async def test_query_headers_and_text_body_go_on_the_wire(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values.update(API=upstream.url, TOKEN="tok-123456")
    upstream.route("PUT", "/things/7", Reply(200, "stored", headers=[("X-Answer", "1"), ("X-Answer", "2")]))
    doc = """
name: wire
steps:
  put:
    request:
      method: put
      url: "{{ secrets.API }}/things/{{ trigger.body.id }}"
      headers: {authorization: "Bearer {{ secrets.TOKEN }}", x-count: 5}
      query: {q: "{{ trigger.body.q }}", flag: true}
      body: "plain {{ trigger.body.id }}"
  out: {after: [put], respond: {body: "{{ steps.put.response }}"}}
"""
    answer = await engine.runs.start_and_wait_response(engine.run_input(doc, {"id": 7, "q": "a b"}), timeout=20)
    sent = upstream.received("PUT", "/things/7")[0]
    assert sent.query == {"q": ["a b"], "flag": ["true"]}
    assert sent.headers["authorization"] == "Bearer tok-123456"
    assert sent.headers["x-count"] == "5"
    assert sent.body == b"plain 7"
    assert answer is not None
    assert answer.body["status"] == 200 and answer.body["body"] == "stored"
    assert answer.body["headers"]["x-answer"] == "1, 2"


async def test_oversized_response_body_fails_the_step(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("GET", "/big", Reply(200, b"x" * (1024 * 1024 + 1)))
    state = await engine.finish(await engine.start('name: big\nsteps:\n  get: {request: {url: "{{ secrets.API }}/big"}}\n'))
    error = state.steps["get"].error
    assert error is not None and error.code == "response_too_large"
    assert len(upstream.received("GET", "/big")) == 1


async def test_connection_refused_is_a_transport_error(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = "http://127.0.0.1:9"
    doc = 'name: refused\nsteps:\n  get: {request: {url: "{{ secrets.API }}/x", retry: {max_attempts: 2, initial_interval: 50ms}}}\n'
    state = await engine.finish(await engine.start(doc))
    error = state.steps["get"].error
    assert error is not None and error.code == "transport"
    assert state.steps["get"].attempts == 2


async def test_local_request_steps_retry_and_answer_like_regular_ones(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("POST", "/quick", Reply(503, "busy", headers=[("Retry-After", "3600")]), Reply(200, {"n": 1}))
    upstream.route("POST", "/next", Reply(200, {"n": 2}))
    doc = """
name: local-steps
steps:
  quick:
    request:
      method: POST
      url: "{{ secrets.API }}/quick"
      local: true
      retry: {max_attempts: 3, initial_interval: 50ms, max_interval: 200ms}
  next:
    after: [quick]
    request: {method: POST, url: "{{ secrets.API }}/next", local: true, body: "{{ steps.quick.response.body }}"}
response: {body: "{{ steps.next.response.body }}"}
"""
    run = engine.run_input(doc)
    answer = await engine.runs.start_and_wait_response(run, timeout=20)  # Retry-After capped by max_interval
    assert answer is not None and answer.body == {"n": 2}
    assert upstream.received("POST", "/next")[0].json() == {"n": 1}
    keys = {r.headers["idempotency-key"] for r in upstream.received("POST", "/quick")}
    assert keys == {f"{run.run_id}:quick"} and len(upstream.received("POST", "/quick")) == 2
    state = await engine.finish(run.run_id)
    assert state.steps["quick"].attempts == 2
    history = [e async for e in engine.client.get_workflow_handle(run.run_id).fetch_history_events()]
    assert not any(e.HasField("activity_task_scheduled_event_attributes") for e in history)
