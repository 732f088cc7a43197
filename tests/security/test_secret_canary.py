"""A canary secret, used in the URL, a header and the body of succeeding and failing
requests, never shows up outside the wire: not in API answers, events, run state,
the CLI's output, the Temporal history (``temporal workflow show``), the failure
messages Temporal stores, or any log line the gateway and the worker write (all
loggers captured at DEBUG)."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.gateway.conftest import TOKEN, Gateway
from tests.upstream import Received, Reply, Upstream
from tests.workflow.test_secrets import _temporal_workflow_show

CANARY_PATH = "canary-path-0c7e41"
CANARY_TOKEN = "canary-token-f3a9d2"
CANARIES = (CANARY_PATH, CANARY_TOKEN)
DISPATCHED = str(Path(sys.executable).parent / "dispatched")

CANARY = """
name: canary
steps:
  ok:
    request:
      method: POST
      url: "{{ secrets.API }}/echo?k={{ secrets.TOKEN }}"
      headers: {authorization: "Bearer {{ secrets.TOKEN }}"}
      body: {token: "{{ secrets.TOKEN }}", note: "{{ trigger.body.note }}"}
  answer:
    after: [ok]
    respond:
      body: "{{ steps.ok.response }}"
  bad:
    after: [answer]
    when: "trigger.body.fail == true"
    request:
      url: "{{ secrets.API }}/fail?k={{ secrets.TOKEN }}"
      headers: {x-token: "{{ secrets.TOKEN }}"}
      retry: {max_attempts: 2, initial_interval: 50ms}
"""
FAILS_FIRST = """
name: canary-fails
steps:
  bad:
    request:
      method: PUT
      url: "{{ secrets.API }}/fail"
      headers: {authorization: "Bearer {{ secrets.TOKEN }}"}
      body: "{{ secrets.TOKEN }}"
      retry: {max_attempts: 2, initial_interval: 50ms}
"""


def _echo(request: Received) -> Reply:
    """Repeats everything it was sent, secrets included, in body and headers."""
    echoed = {"path": request.path, "query": request.query, "headers": request.headers, "body": request.body.decode()}
    return Reply(200, echoed, headers=[("X-Echo", request.headers.get("authorization", "")),
                                       ("Dispatched-Log", f"saw {request.headers.get('authorization', '')}")])


def _fail(request: Received) -> Reply:
    return Reply(500, f"failed {request.path} {request.query} {request.headers} {request.body.decode()}")


async def _cli(gateway: Gateway, *args: str, ok: bool = True) -> str:
    """Run the real CLI against the gateway; all it printed (it must succeed, or fail if not ``ok``)."""
    env = {**os.environ, "DISPATCHED_URL": gateway.url, "DISPATCHED_TOKEN": TOKEN}
    done = await asyncio.to_thread(
        subprocess.run, [DISPATCHED, *args], env=env, capture_output=True, text=True, timeout=60,
    )
    assert (done.returncode == 0) == ok, (args, done.returncode, done.stderr)
    return f"$ dispatched {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"


async def test_the_canary_never_leaves_the_wire(
    gateway: Gateway, upstream: Upstream, temporal_env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    upstream.route("POST", f"/{CANARY_PATH}/echo", _echo)
    upstream.route("GET", f"/{CANARY_PATH}/fail", _fail)
    upstream.route("PUT", f"/{CANARY_PATH}/fail", _fail)
    http = gateway.http
    assert (await http.put("/api/secrets/API", content=f"{upstream.url}/{CANARY_PATH}")).status_code in (200, 201, 204)
    assert (await http.put("/api/secrets/TOKEN", content=CANARY_TOKEN)).status_code in (200, 201, 204)
    await gateway.deploy(CANARY)
    await gateway.deploy(FAILS_FIRST)

    seen: list[str] = []  # everything a user or operator can read
    succeeded = await http.post("/workflows/canary", json={"note": "hello", "fail": False})
    failed_late = await http.post("/workflows/canary", json={"note": "hello", "fail": True})
    failed_early = await http.post("/workflows/canary-fails", json={})
    assert succeeded.status_code == failed_late.status_code == 200 and failed_early.status_code == 502
    runs = [answer.headers["Dispatched-Run-Id"] for answer in (succeeded, failed_late, failed_early)]
    for answer in (succeeded, failed_late, failed_early):
        seen += [answer.text, str(answer.headers)]
    states = [await gateway.until_closed(run) for run in runs]
    assert [state["status"] for state in states] == ["completed", "failed", "failed"]
    assert "answered 500" in str(states[1]) and "answered 500" in str(states[2])  # failures are recorded ...

    # The canary did go on the wire, in URL, header and body, of good and failing requests.
    sent = upstream.received("POST", f"/{CANARY_PATH}/echo")[0]
    assert sent.query["k"] == [CANARY_TOKEN] and CANARY_TOKEN in sent.headers["authorization"] and CANARY_TOKEN in sent.body.decode()
    assert len(upstream.received("GET", f"/{CANARY_PATH}/fail")) == 2
    assert upstream.received("PUT", f"/{CANARY_PATH}/fail")[0].body.decode() == CANARY_TOKEN

    for run in runs:
        for path in (f"/api/runs/{run}", f"/api/runs/{run}/events", f"/api/runs/{run}/events?follow=true"):
            seen.append((await http.get(path)).text)
        seen.append(await _temporal_workflow_show(temporal_env, run))
        seen += [await _cli(gateway, "run", "show", run), await _cli(gateway, "run", "events", run)]
    for path in ("/api/runs", "/api/secrets", "/api/workflows", "/api/workflows/canary"):
        seen.append((await http.get(path)).text)
    seen += [await _cli(gateway, "run", "list"), await _cli(gateway, "secrets", "list"),
             await _cli(gateway, "run", "start", "canary", "--data", '{"note": "cli"}'),
             await _cli(gateway, "run", "start", "canary-fails", ok=False)]
    seen.append(caplog.text)
    seen += [record.getMessage() for record in caplog.records]

    everything = "\n".join(seen)
    assert "***" in everything  # the echoed secrets were masked ...
    leaks = [canary for canary in CANARIES if canary in everything]
    assert leaks == [], _context(everything, leaks)  # ... and never shown


def _context(text: str, leaks: list[str]) -> str:
    spots = []
    for canary in leaks:
        at = text.index(canary)
        spots.append(text[max(0, at - 300): at + 100])
    return "\n---\n".join(spots)
