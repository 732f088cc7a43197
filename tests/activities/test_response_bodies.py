"""How the request activity reads an upstream's body (issue 13), pure: the same JSON rules as
trigger bodies, and a property over arbitrary bytes with JSON content types — the parse
either gives a value that travels through the pydantic converter unchanged, or raises the
non-retryable ``invalid_response`` error; never anything else, never a silent change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from activities.http import _redact, parse_body
from contract import errors
from contract.limits import MAX_RESPONSE_JSON_DEPTH
from contract.messages import HttpResponse, RequestOutput

JSON_TYPES = st.sampled_from([
    "application/json", "application/json; charset=utf-8", "Application/Problem+JSON", "application/vnd.api+json",
])
TEXT_TYPES = st.sampled_from(["", "text/plain", "text/html; charset=utf-8", "application/jsonp", "application/xml"])
# Pieces of JSON and of what Python's json accepts beyond it, glued at random.
FRAGMENTS = st.sampled_from([
    "[", "]", "{", "}", '"a":', '"\\udc00":', ",", " ", "\n", "NaN", "Infinity", "-Infinity", "1e999", "-1e400",
    "1e308", "-0.0", "12345678901234567890", '"\\ud800"', '"\\ud83d\\ude00"', '"\\u0000"', "0", "true", "null", '"x"',
    "\ufeff", "\xff", "é",
])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


BODIES = (
    st.binary(max_size=300)
    | st.lists(FRAGMENTS, max_size=40).map(lambda parts: "".join(parts).encode("utf-8", errors="surrogatepass"))
    | JSON_VALUES.map(lambda value: json.dumps(value).encode())
    | st.integers(0, 400).map(nested)
    | st.binary(max_size=40).map(lambda tail: b"\xef\xbb\xbf" + tail)
)
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def depth_of(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def through_the_converter(body: Any) -> Any:
    """The body as the workflow receives it: the activity's result, encoded and decoded."""
    output = RequestOutput(response=HttpResponse(status=200, body=body))
    payloads = pydantic_data_converter.payload_converter.to_payloads([output])
    [decoded] = pydantic_data_converter.payload_converter.from_payloads(payloads, [RequestOutput])
    return decoded.response.body


def same(a: Any, b: Any) -> bool:
    """Equal, with floats compared by their JSON text (``-0.0`` is not ``0``)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@PROPERTY
@given(BODIES, JSON_TYPES)
def test_any_bytes_with_a_json_type_give_a_value_that_travels_unchanged_or_invalid_response(
    content: bytes, content_type: str
) -> None:
    try:
        value = parse_body(content, content_type)
    except ApplicationError as refused:
        assert refused.type == errors.INVALID_RESPONSE and refused.non_retryable
        assert refused.message.startswith("the JSON response body ")
        return
    json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")  # strict JSON, valid Unicode
    assert depth_of(value) <= MAX_RESPONSE_JSON_DEPTH
    assert same(through_the_converter(value), value)  # no NaN → null on the way
    text = content.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    assert same(value, json.loads(text) if text.strip(" \t\r\n") else None)  # what was sent, exactly


@PROPERTY
@given(BODIES, TEXT_TYPES)
def test_any_bytes_with_another_type_are_kept_as_text(content: bytes, content_type: str) -> None:
    value = parse_body(content, content_type)
    assert value == content.decode("utf-8", errors="replace")
    assert through_the_converter(value) == value


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"x": NaN}', "is not valid JSON: NaN is not a JSON value, at $.x"),
        (b'{"items": [0, Infinity]}', "is not valid JSON: Infinity is not a JSON value, at $.items[1]"),
        (b'{"x": 1e999}', "holds a number JSON cannot carry (out of range), at $.x"),
        (b'["\\ud800"]', "holds a string that is not valid Unicode (an unpaired surrogate), at $[0]"),
        (b'{"a b": {"\\udc00": 1}}', 'holds a key that is not valid Unicode (an unpaired surrogate), at $["a b"]["\\udc00"]'),
        (nested(MAX_RESPONSE_JSON_DEPTH + 1), f"is nested deeper than {MAX_RESPONSE_JSON_DEPTH} levels, at $[0]"),
        (b"[" * 100_000, "is not valid JSON: nested too deeply"),
        (b"\xff", "does not decode to UTF-8 text, at byte 0"),
        (b"not json", "is not valid JSON: Expecting value (line 1, column 1)"),
    ],
)
def test_each_refusal_says_what_and_where(content: bytes, reason: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        parse_body(content, "application/json")
    assert refused.value.type == errors.INVALID_RESPONSE and refused.value.non_retryable
    assert refused.value.message.startswith(f"the JSON response body {reason}"), refused.value.message


def test_the_depth_limit_is_what_the_converter_carries_with_room_to_spare() -> None:
    """The limit's reason (contract.limits): a body at it decodes in the workflow even wrapped
    130 levels deeper, and pydantic-core's parser gives up not far past that."""
    at_limit = parse_body(nested(MAX_RESPONSE_JSON_DEPTH), "application/json")
    wrapped: Any = at_limit
    for _ in range(130):
        wrapped = [wrapped]
    assert same(through_the_converter(wrapped), wrapped)
    for _ in range(10):
        wrapped = [wrapped]
    with pytest.raises(Exception, match="recursion limit"):
        through_the_converter(wrapped)


def test_an_empty_json_body_is_null_and_a_byte_order_mark_is_skipped() -> None:
    assert parse_body(b"", "application/json") is None
    assert parse_body(b" \r\n\t", "application/json") is None
    assert parse_body(b'\xef\xbb\xbf{"a": 1}', "application/json") == {"a": 1}
    with pytest.raises(ApplicationError):
        parse_body(b"\x0b", "application/json")  # vertical tab: whitespace to Python, not to JSON


def test_a_secret_echoed_as_a_key_is_masked_too() -> None:
    assert _redact({"tok-123456": {"v": "tok-123456"}}, ["tok-123456"]) == {"***": {"v": "***"}}
