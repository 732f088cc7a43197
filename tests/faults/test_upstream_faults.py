"""Upstream faults a request step lives through: connection refused, an answer slower than
the step's ``timeout``, 503/429 storms with ``Retry-After`` (honoured, and capped by the
step's ``max_interval``), and a response cut off mid-body. Each is retried under the
step's retry policy and, once attempts are spent, fails the step with a clear code.

Fast (a few seconds in all), so they run in ``make test`` as well as in the fault suite.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator

import pytest

from tests.faults.raw_upstream import ResettingUpstream
from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine


def _document(url: str, *, timeout: str = "30s", retry: str = "{max_attempts: 3, initial_interval: 100ms}") -> str:
    return f"""
name: upstream-faults
steps:
  call:
    request: {{method: POST, url: "{url}", body: {{n: 1}}, timeout: {timeout}, retry: {retry}}}
  after:
    after: [call]
    respond: {{body: "{{{{ steps.call.response.body }}}}"}}
"""


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def resetting() -> Iterator[ResettingUpstream]:
    server = ResettingUpstream("reset", "ok").start()
    try:
        yield server
    finally:
        server.stop()


async def test_connection_refused_is_retried_then_fails_the_step(engine: Engine, closed_port: int) -> None:
    state = await engine.finish(await engine.start(_document(f"http://127.0.0.1:{closed_port}/x")))
    step = state.steps["call"]
    assert (state.status, step.status, step.attempts) == ("failed", "failed", 3)
    assert step.error is not None and step.error.code == "transport"
    assert "ConnectError" in step.error.message and f"127.0.0.1:{closed_port}/x" in step.error.message
    assert state.steps["after"].status == "cancelled"


async def test_slow_past_the_step_timeout_is_retried_and_the_fast_attempt_wins(engine: Engine, upstream: Upstream) -> None:
    upstream.route("POST", "/slow", Reply(200, {"late": True}, delay=1.5), Reply(200, {"late": False}))
    state = await engine.finish(await engine.start(_document(f"{upstream.url}/slow", timeout="500ms")))
    assert state.status == "completed" and state.steps["call"].attempts == 2
    first, second = upstream.received("POST", "/slow")
    assert 0.5 <= second.at - first.at < 1.4  # the first attempt was given up at 500 ms, not waited out


async def test_always_slow_fails_the_step_with_a_timeout(engine: Engine, upstream: Upstream) -> None:
    upstream.route("POST", "/slow", Reply(200, {}, delay=1.0))
    document = _document(f"{upstream.url}/slow", timeout="500ms", retry="{max_attempts: 2, initial_interval: 100ms}")
    state = await engine.finish(await engine.start(document))
    step = state.steps["call"]
    assert (state.status, step.attempts) == ("failed", 2)
    assert step.error is not None and step.error.code == "timeout"
    assert "no answer within 0.5s" in step.error.message


async def test_503_storm_with_retry_after_is_honoured(engine: Engine, upstream: Upstream) -> None:
    busy = [("Retry-After", "1")]
    upstream.route("POST", "/busy", Reply(503, "busy", busy), Reply(429, "slow down", busy), Reply(200, {"ok": 1}))
    state = await engine.finish(await engine.start(_document(f"{upstream.url}/busy")), timeout=20)
    assert state.status == "completed" and state.steps["call"].attempts == 3
    arrivals = [r.at for r in upstream.received("POST", "/busy")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(gap >= 0.95 for gap in gaps), gaps  # not the step's own 100 ms interval


async def test_a_huge_retry_after_is_capped_by_max_interval(engine: Engine, upstream: Upstream) -> None:
    upstream.route("POST", "/busy", Reply(503, "come back in an hour", [("Retry-After", "3600")]), Reply(200, {}))
    retry = "{max_attempts: 3, initial_interval: 100ms, max_interval: 1s}"
    state = await engine.finish(await engine.start(_document(f"{upstream.url}/busy", retry=retry)), timeout=20)
    assert state.status == "completed" and state.steps["call"].attempts == 2
    first, second = upstream.received("POST", "/busy")
    assert 0.95 <= second.at - first.at < 3.0  # max_interval, not the hour asked for


async def test_reset_mid_body_is_a_retried_transport_error(engine: Engine, resetting: ResettingUpstream) -> None:
    state = await engine.finish(await engine.start(_document(f"{resetting.url}/cut")))
    assert state.status == "completed" and state.steps["call"].attempts == 2
    keys = {seen.header("Idempotency-Key") for seen in resetting.seen}
    assert len(resetting.seen) == 2 and len(keys) == 1


async def test_resets_on_every_attempt_fail_the_step_as_transport(engine: Engine, resetting: ResettingUpstream) -> None:
    resetting.script = ["reset"]
    state = await engine.finish(await engine.start(_document(f"{resetting.url}/cut")))
    step = state.steps["call"]
    assert (state.status, step.attempts) == ("failed", 3)
    assert step.error is not None and step.error.code == "transport", step.error
    # Cut off mid-body: h11 sees the short body (RemoteProtocolError) or the socket errors (ReadError).
    assert any(name in step.error.message for name in ("RemoteProtocolError", "ReadError")), step.error.message
