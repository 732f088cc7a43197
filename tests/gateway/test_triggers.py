"""``POST /workflows/{name}`` end to end: sync answers, async starts, Prefer: wait,
failures before the answer, and idempotency keys."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.gateway.conftest import TOKEN, Gateway
from tests.upstream import Reply, Upstream

QUICK_ANSWER = """\
name: quick-answer
steps:
  fetch:
    request:
      method: POST
      url: "{{ secrets.UPSTREAM_URL }}/fetch"
      body:
        trigger: "{{ trigger.body }}"
        headers: "{{ trigger.headers }}"
        query: "{{ trigger.query }}"
  answer:
    after: [fetch]
    respond:
      status: 201
      headers: {X-Source: dispatched}
      body: {greeting: "{{ steps.fetch.response.body.greeting }}"}
  slow:
    after: [answer]
    request:
      url: "{{ secrets.UPSTREAM_URL }}/slow"
"""

WAITS = """\
name: waits
steps:
  hold:
    wait: {signal: go, timeout: 5m}
  answer:
    after: [hold]
    respond:
      content_type: text/plain
      body: "went with {{ steps.hold.signal.body.speed }}"
"""

FAILS = """\
name: fails
steps:
  call:
    request:
      url: "{{ secrets.UPSTREAM_URL }}/broken"
  answer:
    after: [call]
    respond: {body: never}
"""

COUNTED = """\
name: counted
steps:
  call:
    request:
      method: POST
      url: "{{ secrets.UPSTREAM_URL }}/count"
      body: "{{ trigger.body }}"
"""


async def with_upstream(gateway: Gateway, upstream: Upstream) -> None:
    answer = await gateway.http.put("/api/secrets/UPSTREAM_URL", json={"value": upstream.url})
    assert answer.status_code == 200 and upstream.url not in answer.text


async def test_sync_trigger_answers_from_the_respond_step_before_later_steps_finish(
    gateway: Gateway, upstream: Upstream
) -> None:
    await with_upstream(gateway, upstream)
    upstream.route("POST", "/fetch", Reply(200, {"greeting": "hello"}))
    upstream.route("GET", "/slow", Reply(200, {"done": True}, delay=4))
    await gateway.deploy(QUICK_ANSWER)
    began = time.monotonic()
    answer = await gateway.http.post(
        "/workflows/quick-answer?page=2",
        json={"user": "ada"},
        headers={"Authorization": "Bearer hidden", "Cookie": "sid=hidden", "X-Custom": "kept"},
    )
    assert time.monotonic() - began < 3.5  # /slow alone takes 4 s
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"greeting": "hello"}
    assert answer.headers["x-source"] == "dispatched"
    assert answer.headers["content-type"].startswith("application/json")
    run_id = answer.headers["dispatched-run-id"]
    assert run_id.startswith("run_")
    sent = upstream.received("POST", "/fetch")[0].json()
    assert sent["trigger"] == {"user": "ada"} and sent["query"] == {"page": "2"}
    assert sent["headers"]["x-custom"] == "kept"
    assert not {"authorization", "cookie", "dispatched-session"} & set(sent["headers"])
    state = (await gateway.http.get(f"/api/runs/{run_id}")).json()
    assert state["steps"]["slow"]["status"] in ("pending", "running")
    final = await gateway.until_closed(run_id)
    assert final["status"] == "completed" and final["steps"]["slow"]["status"] == "completed"


async def test_respond_async_answers_202_at_once(gateway: Gateway) -> None:
    await gateway.deploy(WAITS)
    answer = await gateway.http.post("/workflows/waits", json={}, headers={"Prefer": "respond-async"})
    assert answer.status_code == 202
    run_id = answer.json()["run_id"]
    assert answer.json() == {"run_id": run_id} and answer.headers["dispatched-run-id"] == run_id
    assert answer.headers["preference-applied"] == "respond-async"
    state = await gateway.until_step(run_id, "hold", "waiting")
    assert (state["workflow"], state["revision"]) == ("waits", 1)


async def test_prefer_wait_gives_202_for_a_run_that_has_not_answered(gateway: Gateway) -> None:
    await gateway.deploy(WAITS)
    began = time.monotonic()
    answer = await gateway.http.post("/workflows/waits", json={}, headers={"Prefer": "wait=1"})
    assert 0.9 < time.monotonic() - began < 5
    assert answer.status_code == 202
    run_id = answer.json()["run_id"]
    signal = await gateway.http.post(f"/api/runs/{run_id}/signal/go", json={"speed": "express"})
    assert signal.status_code == 202 and signal.json() == {"run_id": run_id, "signal": "go"}
    assert (await gateway.until_closed(run_id))["status"] == "completed"


async def test_a_sync_repeat_of_a_finished_run_gets_its_text_answer(gateway: Gateway) -> None:
    await gateway.deploy(WAITS)
    key = {"Idempotency-Key": "text-1"}
    started = await gateway.http.post("/workflows/waits", headers={**key, "Prefer": "respond-async"})
    run_id = started.json()["run_id"]
    await gateway.until_step(run_id, "hold", "waiting")
    await gateway.http.post(f"/api/runs/{run_id}/signal/go", json={"speed": "slow"})
    assert (await gateway.until_closed(run_id))["status"] == "completed"
    repeat = await gateway.http.post("/workflows/waits", headers=key)
    assert repeat.status_code == 200, repeat.text
    assert repeat.headers["dispatched-run-id"] == run_id
    assert repeat.headers["content-type"].startswith("text/plain")
    assert repeat.text == "went with slow"


async def test_a_run_failing_before_it_answers_is_502(gateway: Gateway, upstream: Upstream) -> None:
    await with_upstream(gateway, upstream)
    upstream.route("GET", "/broken", Reply(400, {"error": "bad"}))
    await gateway.deploy(FAILS)
    answer = await gateway.http.post("/workflows/fails", json={})
    assert answer.status_code == 502, answer.text
    error = answer.json()["error"]
    assert error["code"] and "call" in error["message"]
    assert "Traceback" not in answer.text
    run_id = answer.headers["dispatched-run-id"]
    assert (await gateway.http.get(f"/api/runs/{run_id}")).json()["status"] == "failed"


async def test_a_run_without_respond_answers_its_id_and_status(gateway: Gateway, upstream: Upstream) -> None:
    await with_upstream(gateway, upstream)
    upstream.route("POST", "/count", Reply(200, {"ok": True}))
    await gateway.deploy(COUNTED)
    answer = await gateway.http.post("/workflows/counted", json={"n": 1})
    assert answer.status_code == 200, answer.text
    assert answer.json()["run_id"] == answer.headers["dispatched-run-id"]
    assert answer.json()["status"] == "completed"


async def test_an_idempotent_repeat_returns_the_same_run(gateway: Gateway, upstream: Upstream) -> None:
    await with_upstream(gateway, upstream)
    upstream.route("POST", "/count", Reply(200, {"ok": True}))
    await gateway.deploy(COUNTED)
    key = {"Idempotency-Key": "order-1"}
    first = await gateway.http.post("/workflows/counted", json={"n": 1, "m": 2}, headers=key)
    again = await gateway.http.post("/workflows/counted", content=b'{"m": 2, "n": 1}', headers=key)
    assert first.status_code == again.status_code == 200
    assert first.headers["dispatched-run-id"] == again.headers["dispatched-run-id"]
    assert first.json() == again.json()
    async_again = await gateway.http.post(
        "/workflows/counted", json={"n": 1, "m": 2}, headers={**key, "Prefer": "respond-async"}
    )
    assert async_again.json()["run_id"] == first.headers["dispatched-run-id"]
    assert len(upstream.received("POST", "/count")) == 1
    different = await gateway.http.post("/workflows/counted", json={"n": 2}, headers=key)
    assert different.status_code == 422
    assert different.json()["error"]["code"] == "idempotency_key_reused"


async def test_fifty_concurrent_repeats_make_one_run(gateway: Gateway, upstream: Upstream) -> None:
    await with_upstream(gateway, upstream)
    upstream.route("POST", "/count", Reply(200, {"ok": True}, delay=0.5))
    await gateway.deploy(COUNTED)
    answers = await asyncio.gather(
        *(
            gateway.http.post("/workflows/counted", json={"n": 7}, headers={"Idempotency-Key": "burst"})
            for _ in range(50)
        )
    )
    assert {a.status_code for a in answers} == {200}, {a.text for a in answers}
    assert len({a.headers["dispatched-run-id"] for a in answers}) == 1
    await asyncio.sleep(0.5)
    assert len(upstream.received("POST", "/count")) == 1


async def test_in_flight_runs_keep_their_revision(gateway: Gateway) -> None:
    await gateway.deploy(WAITS)
    run_id = (await gateway.http.post("/workflows/waits", headers={"Prefer": "respond-async"})).json()["run_id"]
    await gateway.until_step(run_id, "hold", "waiting")
    registered = await gateway.deploy(WAITS.replace("answer:", "reply:"))
    assert (registered["revision"], registered["created"]) == (2, True)
    assert (await gateway.http.delete("/api/workflows/waits")).status_code == 200
    await gateway.http.post(f"/api/runs/{run_id}/signal/go", json={"speed": "x"})
    final = await gateway.until_closed(run_id)
    assert final["status"] == "completed" and final["revision"] == 1
    assert set(final["steps"]) == {"hold", "answer"}
    assert (await gateway.http.post("/workflows/waits", json={})).status_code == 404


async def test_a_client_that_hangs_up_does_not_cancel_the_run(gateway: Gateway) -> None:
    await gateway.deploy(WAITS)
    key = {"Idempotency-Key": "hang-up"}
    async with httpx.AsyncClient(base_url=gateway.url, headers={"Dispatched-Session": TOKEN}, timeout=0.3) as hasty:
        with pytest.raises(httpx.ReadTimeout):
            await hasty.post("/workflows/waits", headers=key)
    await asyncio.sleep(0.5)
    found = await gateway.http.post("/workflows/waits", headers={**key, "Prefer": "respond-async"})
    run_id = found.json()["run_id"]
    await gateway.until_step(run_id, "hold", "waiting")
    await gateway.http.post(f"/api/runs/{run_id}/signal/go", json={"speed": "late"})
    assert (await gateway.until_closed(run_id))["status"] == "completed"
