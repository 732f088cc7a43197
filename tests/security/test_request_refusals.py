"""Refused requests through the real engine: the step fails at once (no retry) with a
readable, located error that names the rule and never a secret."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.http import HttpActivities
from activities.network import NetworkPolicy
from activities.secrets import MemorySecretStore
from contract.messages import RequestInput
from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine

RETRIED = "retry: {max_attempts: 3, initial_interval: 50ms}"


def _doc(url: str, *, extra: str = "") -> str:
    return f"""
name: probe
steps:
  probe:
    request:
      url: "{url}"
      {RETRIED}
{extra}"""


async def test_loopback_fails_the_step_at_once_by_default(strict_engine: Engine, upstream: Upstream) -> None:
    upstream.route("GET", "/admin", Reply(200, "secret admin page"))
    state = await strict_engine.finish(await strict_engine.start(_doc(f"{upstream.url}/admin")))
    step = state.steps["probe"]
    assert state.status == "failed" and step.status == "failed" and step.attempts == 1
    assert step.error is not None and step.error.code == "blocked_address"
    assert "127.0.0.1" in step.error.message and "loopback" in step.error.message
    assert step.error.message.startswith("step probe: GET http://127.0.0.1:")
    assert upstream.requests == []


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://2130706433:9/", "loopback"),
        ("http://[::ffff:127.0.0.1]:9/", "IPv4-mapped"),
        ("http://10.0.0.1:9/", "private-network"),
        ("ftp://example.com/file", "only http and https"),
        ("http://example.com:7233/", "Temporal server port"),
    ],
)
async def test_hostile_destinations_are_refused(strict_engine: Engine, url: str, rule: str) -> None:
    state = await strict_engine.finish(await strict_engine.start(_doc(url)))
    error = state.steps["probe"].error
    assert error is not None and error.code == "blocked_address" and rule in error.message
    assert state.steps["probe"].attempts == 1


async def test_a_redirect_into_the_network_is_refused(engine: Engine, upstream: Upstream) -> None:
    upstream.route("GET", "/go", Reply(302, "", headers=[("Location", "http://169.254.169.254/latest/meta-data/")]))
    doc = _doc(f"{upstream.url}/go").replace(RETRIED, RETRIED + "\n      follow_redirects: true")
    state = await engine.finish(await engine.start(doc))
    error = state.steps["probe"].error
    assert error is not None and error.code == "blocked_address" and "169.254.169.254" in error.message


async def test_a_refused_host_from_a_secret_is_not_named(strict_engine: Engine) -> None:
    strict_engine.secrets.values["API"] = "http://10.20.30.40:8080"
    state = await strict_engine.finish(await strict_engine.start(_doc("{{ secrets.API }}/charge")))
    error = state.steps["probe"].error
    assert error is not None and error.code == "blocked_address" and "private-network" in error.message
    assert "10.20.30.40" not in error.message and "8080" not in error.message


# -- header injection: the activity itself, in the SDK's activity environment ----------


async def _send(headers: dict[str, str], upstream: Upstream, secrets: dict[str, str] | None = None) -> ApplicationError:
    http = HttpActivities(secrets=MemorySecretStore(secrets or {}), network=NetworkPolicy.from_allow_hosts(["127.0.0.1"]))
    request = RequestInput(run_id="run_x", workflow="w", step_id="s", method="GET", url=f"{upstream.url}/h", headers=headers)
    try:
        with pytest.raises(ApplicationError) as failed:
            await ActivityEnvironment().run(http.request, request)
    finally:
        await http.aclose()
    return failed.value


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("X-Ok", "a\r\nX-Injected: 1", "CR, LF or NUL in the value"),
        ("X-Ok", "a\nb", "CR, LF or NUL in the value"),
        ("X-Ok", "a\x00b", "CR, LF or NUL in the value"),
        ("X-Bad\r\nX-Injected", "1", "CR, LF or NUL in the name"),
        ("X Bad", "1", "not a valid header name"),
        ("X-Bad:", "1", "not a valid header name"),
        ("X-Ok", "a\x07b", "control character"),
        ("X-Ok", "caf\u00e9", "not ASCII"),
        ("Host", "evil.example", "set by the engine"),
        ("content-length", "0", "set by the engine"),
        ("Transfer-Encoding", "chunked", "set by the engine"),
    ],
)
async def test_header_injection_is_refused_without_sending(upstream: Upstream, name: str, value: str, said: str) -> None:
    error = await _send({name: value}, upstream)
    assert error.type == "invalid_request" and error.non_retryable and said in error.message
    assert upstream.requests == []


async def test_a_secret_with_a_newline_fails_without_showing_it(upstream: Upstream) -> None:
    from contract.messages import SecretRef, SecretSlot

    http = HttpActivities(secrets=MemorySecretStore({"TOKEN": "tok-8c1f\r\nX-Evil: 1"}),
                          network=NetworkPolicy.from_allow_hosts(["127.0.0.1"]))
    request = RequestInput(
        run_id="run_x", workflow="w", step_id="s", method="GET", url=f"{upstream.url}/h",
        secret_slots=[SecretSlot(path=["headers", "authorization"], parts=["Bearer ", SecretRef(secret="TOKEN")])],
    )
    try:
        with pytest.raises(ApplicationError) as failed:
            await ActivityEnvironment().run(http.request, request)
    finally:
        await http.aclose()
    assert failed.value.type == "invalid_request" and "tok-8c1f" not in str(failed.value)
    assert upstream.requests == []


async def test_trigger_data_cannot_inject_headers_through_a_template(engine: Engine, upstream: Upstream) -> None:
    upstream.route("GET", "/h", Reply(200, {}))
    doc = _doc(f"{upstream.url}/h").replace(RETRIED, RETRIED + "\n      headers: {X-Name: \"{{ trigger.body.name }}\"}")
    state = await engine.finish(await engine.start(doc, {"name": "bob\r\nX-Admin: true"}))
    error = state.steps["probe"].error
    assert error is not None and error.code == "invalid_request" and "X-Name" in error.message
    assert state.steps["probe"].attempts == 1 and upstream.requests == []
