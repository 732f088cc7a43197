"""Reading an HTTP body with a size cap, whoever sends it.

The gateway reads request bodies and the request activity reads upstream responses;
both must refuse an oversized body without buffering it first. The rule: a declared
``Content-Length`` over the cap is refused before a byte is read, and since a sender
may declare nothing (chunked) or lie, the bytes actually received are counted too.

Pure: the caller hands in the chunks (Starlette's ``request.stream()``, httpx's
``response.aiter_bytes()``), so this module imports neither and is tested on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterable


class BodyTooLarge(ValueError):
    """The body is over ``limit`` bytes; callers answer in their own terms (413, or the
    step's ``response_too_large`` failure)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is over the {limit} byte limit")
        self.limit = limit


async def read_capped(chunks: AsyncIterable[bytes], *, limit: int, declared: str | None = None) -> bytes:
    """The whole body, or :class:`BodyTooLarge` as soon as it is known to be over ``limit``.

    Args:
        chunks: the body as it arrives.
        limit: the most bytes accepted.
        declared: the ``Content-Length`` header as sent, if any; a value that is not a
            plain decimal number is ignored here (the byte count still applies).

    Raises:
        BodyTooLarge: the declared length, or the bytes received, are over ``limit``.
    """
    length = _declared_length(declared)
    if length is not None and length > limit:
        raise BodyTooLarge(limit)
    received: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        received.append(chunk)
    return b"".join(received)


def _declared_length(declared: str | None) -> int | None:
    """``Content-Length`` as a number; None when absent or not ASCII digits (``str.isdigit``
    alone would pass ``"²"``, which ``int`` then refuses)."""
    if declared is None or not (declared.isascii() and declared.isdigit()):
        return None
    return int(declared)
