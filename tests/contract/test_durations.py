"""Durations: the spellings documents use, and a parse that is memoized without hiding errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contract.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250ms", timedelta(milliseconds=250)),
        ("30s", timedelta(seconds=30)),
        (" 30m ", timedelta(minutes=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5d", timedelta(hours=36)),
    ],
)
def test_spellings(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(text) == expected  # the memoized answer is the same value


@pytest.mark.parametrize("text", ["30", "5x", "", "1h 30m", "-1s"])
def test_a_bad_spelling_raises_every_time_with_the_same_message(text: str) -> None:
    messages = []
    for _ in range(2):
        with pytest.raises(DurationError) as caught:
            parse_duration(text)
        messages.append(str(caught.value))
    assert messages == [
        f"invalid duration {text!r}: expected parts like 250ms, 30s, 30m, 1h, 1d (e.g. 1h30m)"
    ] * 2


@pytest.mark.parametrize("value", [30, None, ["1s"]])
def test_a_non_string_is_refused_by_name(value: object) -> None:
    with pytest.raises(DurationError, match=f"^expected a duration string like '30s', got {type(value).__name__}$"):
        parse_duration(value)  # type: ignore[arg-type]


def test_format_reads_back() -> None:
    for text in ("250ms", "30s", "1h30m", "1d"):
        assert format_duration(parse_duration(text)) == text
