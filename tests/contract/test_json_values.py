"""One set of rules for JSON from outside: what can travel through Temporal is accepted."""

from __future__ import annotations

import pytest

from activities.directive_payloads import PayloadError, decode_payload
from contract.json_values import JsonValueError, load_json_value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"NaN", "is not valid JSON: NaN is not a JSON value"),
        (b'{"a": -Infinity}', "is not valid JSON: -Infinity is not a JSON value"),
        (b"1e999", "holds a number JSON cannot carry"),
        (b'"\\ud800"', "holds a string that is not valid Unicode"),
        (b"[[[1]]]", "is nested deeper than 2 levels"),
        (b"\xff\xfe", "does not decode to UTF-8 text"),
        (b'{"a": 1,}', "is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 9)"),
        (b"[" * 100_000, "is not valid JSON: nested too deeply"),
    ],
)
def test_refused_with_the_reason(text: bytes, reason: str) -> None:
    with pytest.raises(JsonValueError) as refused:
        load_json_value(text, max_depth=2)
    assert str(refused.value).startswith(reason)


@pytest.mark.parametrize(
    ("text", "value"),
    [(b"null", None), (b'"\\u00e9t\\u00e9"', "été"), (b'{"a": [1, 2.5, true]}', {"a": [1, 2.5, True]}), ("[[1]]", [[1]])],
)
def test_plain_json_is_accepted(text: str | bytes, value: object) -> None:
    assert load_json_value(text, max_depth=2) == value


def test_directive_payloads_follow_the_same_rules() -> None:
    """1e999 once slipped through directive payloads as float('inf')."""
    with pytest.raises(PayloadError, match="data holds a number JSON cannot carry"):
        decode_payload("MWU5OTk", "data", max_bytes=1024, max_depth=32)  # base64 of 1e999
