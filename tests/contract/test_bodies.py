"""The capped body read the gateway and the request activity share: a declared length
over the cap is refused unread, and the bytes actually received are counted too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from contract.bodies import BodyTooLarge, read_capped


class Chunks:
    """An async body that counts how many chunks were pulled from it."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk


async def test_the_whole_body_in_order() -> None:
    assert await read_capped(Chunks(b"ab", b"", b"cd"), limit=10) == b"abcd"


async def test_a_body_of_exactly_the_limit_is_accepted() -> None:
    assert await read_capped(Chunks(b"a" * 4, b"b" * 4), limit=8, declared="8") == b"a" * 4 + b"b" * 4


async def test_an_empty_body() -> None:
    assert await read_capped(Chunks(), limit=0, declared="0") == b""


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    body = Chunks(b"a")
    with pytest.raises(BodyTooLarge) as refused:
        await read_capped(body, limit=8, declared="9")
    assert body.pulled == 0
    assert refused.value.limit == 8


async def test_bytes_over_the_limit_are_refused_whatever_was_declared() -> None:
    body = Chunks(b"a" * 5, b"b" * 5, b"never read")
    with pytest.raises(BodyTooLarge):
        await read_capped(body, limit=8, declared="3")  # a sender may lie
    assert body.pulled == 2  # stops at the chunk that crossed the limit


async def test_no_declared_length_is_counted_as_it_comes() -> None:
    with pytest.raises(BodyTooLarge):
        await read_capped(Chunks(b"a" * 9), limit=8, declared=None)


@pytest.mark.parametrize("declared", ["", "abc", "-1", "1e9", " 9", "²"])
async def test_a_declared_length_that_is_not_a_number_is_ignored(declared: str) -> None:
    assert await read_capped(Chunks(b"ok"), limit=8, declared=declared) == b"ok"


async def test_body_too_large_is_a_value_error_naming_the_limit() -> None:
    with pytest.raises(ValueError, match="over the 8 byte limit"):
        await read_capped(Chunks(b"a" * 9), limit=8)
