"""Hostile upstream bodies on the real dev server (issue 13): a loopback upstream answers each
one with a JSON content type; the step fails at once with ``invalid_response`` and a message
that says what was wrong and where. Before, ``NaN`` and ``1e999`` reached the next step as
``null``, a lone surrogate failed with the code ``PydanticSerializationError``, 220 levels
left the workflow task failing for ever and 100,000 failed with ``RecursionError``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import Client

from contract import errors
from contract.limits import MAX_RESPONSE_JSON_DEPTH
from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine, running_engine

# Three attempts allowed, 50 ms apart: a retried failure would show as attempts > 1.
ECHO_BODY = """
name: echo-body
steps:
  call:
    request:
      url: "{{ secrets.API }}/body"
      retry: {max_attempts: 3, initial_interval: 50ms}
response:
  body: "{{ steps.call.response.body }}"
"""
JSON = "application/json"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.fixture
async def engine(client: Client, upstream: Upstream) -> AsyncIterator[Engine]:
    async with running_engine(client, {"API": upstream.url}) as running:
        yield running


def answer(upstream: Upstream, body: bytes, content_type: str = JSON, status: int = 200) -> None:
    upstream.route("GET", "/body", Reply(status, body, headers=[("Content-Type", content_type)]))


HOSTILE = [
    pytest.param(b'{"x": NaN}', "is not valid JSON: NaN is not a JSON value, at $.x", id="nan"),
    pytest.param(b'{"x": Infinity}', "is not valid JSON: Infinity is not a JSON value, at $.x", id="infinity"),
    pytest.param(b"[1, -Infinity]", "is not valid JSON: -Infinity is not a JSON value, at $[1]", id="minus-infinity"),
    pytest.param(b'{"x": 1e999}', "holds a number JSON cannot carry (out of range), at $.x", id="1e999"),
    pytest.param(b'{"a": {"b": [-1e400]}}', "holds a number JSON cannot carry (out of range), at $.a.b[0]", id="-1e400"),
    pytest.param(
        b'{"x": "\\ud800"}', "holds a string that is not valid Unicode (an unpaired surrogate), at $.x", id="lone-surrogate"
    ),
    pytest.param(
        b'{"\\udc00": 1}', "holds a key that is not valid Unicode (an unpaired surrogate), at $[", id="lone-surrogate-key"
    ),
    pytest.param(
        nested(MAX_RESPONSE_JSON_DEPTH + 1), f"is nested deeper than {MAX_RESPONSE_JSON_DEPTH} levels, at $[0][0]",
        id="one-level-too-deep",
    ),
    # 220 deep once left the run stuck: the activity encoded it, the workflow could not decode it.
    pytest.param(nested(220), f"is nested deeper than {MAX_RESPONSE_JSON_DEPTH} levels", id="220-deep"),
    pytest.param(b"[" * 100_000, "is not valid JSON: nested too deeply", id="100000-deep"),
    pytest.param(b'{"x": "\xff"}', "does not decode to UTF-8 text, at byte 7", id="not-utf8"),
    pytest.param(b'{"x": 1,}', "is not valid JSON: Expecting property name enclosed in double quotes", id="malformed"),
]


@pytest.mark.parametrize(("body", "reason"), HOSTILE)
async def test_a_hostile_json_body_fails_the_step_once_with_invalid_response(
    engine: Engine, upstream: Upstream, body: bytes, reason: str
) -> None:
    answer(upstream, body)
    run_id = await engine.start(ECHO_BODY)
    state = await engine.finish(run_id)
    assert state.status == "failed"
    step = state.steps["call"]
    assert step.status == "failed" and step.error is not None
    assert step.error.code == errors.INVALID_RESPONSE
    assert step.error.message.startswith("step call: GET ***/body answered 200: the JSON response body ")
    assert reason in step.error.message, step.error.message
    assert step.attempts == 1 and len(upstream.received("GET", "/body")) == 1  # not retried
    assert state.error is not None and state.error.code == errors.STEP_FAILED
    assert reason in state.error.message


async def published(engine: Engine) -> Any:
    run = engine.run_input(ECHO_BODY)
    response = await engine.runs.start_and_wait_response(run, timeout=30)
    assert response is not None and (await engine.finish(run.run_id)).status == "completed"
    return response.body


async def test_a_body_at_the_depth_limit_reaches_the_next_step_unchanged(engine: Engine, upstream: Upstream) -> None:
    answer(upstream, b'{"deep": ' + nested(MAX_RESPONSE_JSON_DEPTH - 1) + b"}")
    value: Any = []
    for _ in range(MAX_RESPONSE_JSON_DEPTH - 2):
        value = [value]
    assert await published(engine) == {"deep": value}


async def test_the_same_bytes_as_text_are_kept_as_text(engine: Engine, upstream: Upstream) -> None:
    answer(upstream, b'{"x": NaN, "y": "\\ud800"}', content_type="text/plain")
    assert await published(engine) == '{"x": NaN, "y": "\\ud800"}'


async def test_a_byte_order_mark_is_skipped_and_an_empty_json_body_is_null(engine: Engine, upstream: Upstream) -> None:
    answer(upstream, b'\xef\xbb\xbf{"ok": 1e308}')
    assert await published(engine) == {"ok": 1e308}
    answer(upstream, b" \r\n", content_type="application/problem+json")
    assert await published(engine) is None


async def test_an_error_status_with_a_hostile_body_is_still_a_retried_http_status(
    engine: Engine, upstream: Upstream
) -> None:
    """The status decides first: a 503 is retried whatever its body, which only fills the message."""
    answer(upstream, b'{"x": NaN}', status=503)
    state = await engine.finish(await engine.start(ECHO_BODY))
    step = state.steps["call"]
    assert step.error is not None and step.error.code == errors.HTTP_STATUS
    assert step.attempts == 3 and len(upstream.received("GET", "/body")) == 3
    assert step.error.message == 'step call: GET ***/body answered 503: {"x": NaN}'
