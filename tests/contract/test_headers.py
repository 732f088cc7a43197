"""Headers as run data: repeats joined, JSON content types, control characters."""

from __future__ import annotations

import pytest

from contract.headers import has_control_character, is_json, join_repeated, media_type


def test_repeats_are_joined_in_order_under_the_lower_cased_name() -> None:
    items = [("Set-Cookie", "a=1"), ("X-One", "1"), ("set-cookie", "b=2"), ("SET-COOKIE", "c=3")]
    assert join_repeated(items) == {"set-cookie": "a=1, b=2, c=3", "x-one": "1"}


def test_no_headers_is_an_empty_dict() -> None:
    assert join_repeated([]) == {}


def test_an_empty_value_still_counts_as_a_repeat() -> None:
    assert join_repeated([("x", ""), ("x", "b")]) == {"x": ", b"}


@pytest.mark.parametrize(
    ("content_type", "media"),
    [
        ("application/json", "application/json"),
        ("Application/JSON; charset=utf-8", "application/json"),
        ("  text/plain ;q=1", "text/plain"),
        ("", ""),
    ],
)
def test_media_type_drops_parameters_and_case(content_type: str, media: str) -> None:
    assert media_type(content_type) == media


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("APPLICATION/JSON; charset=utf-8", True),
        ("application/problem+json", True),
        ("application/vnd.api+json; ext=x", True),
        ("text/json", False),
        ("application/json-seq", False),
        ("application/jsonx", False),
        ("text/plain; note=+json", False),
        ("", False),
    ],
)
def test_is_json(content_type: str, expected: bool) -> None:
    assert is_json(content_type) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain value", False),
        ("tab\tinside", False),
        ("ünïcode", False),
        ("cr\rinside", True),
        ("lf\ninside", True),
        ("nul\x00inside", True),
        ("bell\x07", True),
        ("del\x7f", True),
        ("\x1f", True),
    ],
)
def test_control_characters(value: str, expected: bool) -> None:
    assert has_control_character(value) is expected
