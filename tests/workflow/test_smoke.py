from __future__ import annotations

from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine

LINEAR = """
name: linear
steps:
  first:
    request:
      method: POST
      url: "{{ secrets.API }}/first"
      body: {user: "{{ trigger.body.user }}"}
  second:
    after: [first]
    request:
      url: "{{ secrets.API }}/second/{{ steps.first.response.body.id }}"
response:
  status: 201
  body:
    id: "{{ steps.first.response.body.id }}"
    second: "{{ steps.second.response.body }}"
"""


async def test_linear_run_answers_with_response_block(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values["API"] = upstream.url
    upstream.route("POST", "/first", Reply(200, {"id": 7}))
    upstream.route("GET", "/second/7", Reply(200, {"ok": True}))
    run = engine.run_input(LINEAR, {"user": "u1"})
    answer = await engine.runs.start_and_wait_response(run, timeout=20)
    assert answer is not None
    assert answer.status == 201
    assert answer.body == {"id": 7, "second": {"ok": True}}
    sent = upstream.received("POST", "/first")[0]
    assert sent.json() == {"user": "u1"}
    assert sent.headers["idempotency-key"] == f"{run.run_id}:first"
    assert sent.headers["dispatched-step"] == "first"
    state = await engine.finish(run.run_id)
    assert state.status == "completed"
    assert {s: st.status for s, st in state.steps.items()} == {"first": "completed", "second": "completed"}
