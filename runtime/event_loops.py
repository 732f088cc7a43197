"""The event loop and HTTP parser of Dispatched's long-running processes: uvloop, httptools.

``dispatched worker`` (so ``dispatched dev``'s worker too) runs on uvloop, and the
gateway's uvicorn on uvloop with httptools parsing HTTP, instead of asyncio's own loop
and h11 (pure Python). At 16 concurrent callers on the bench's 3-step line (A/B runs
against a second process on the same dev server, bench/README.md, *uvloop and
httptools*): worker CPU per run −1.0 and −1.8 ms (of ~17–19 ms), gateway CPU per
trigger −0.34 and −0.38 ms (of ~3.2–3.5 ms).

Both are named explicitly rather than left to uvicorn's ``auto``, which falls back to
asyncio and h11 without a word when they are missing: a process that cannot have them
fails at start instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")

UVICORN_LOOP = "uvloop"
UVICORN_HTTP = "httptools"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a uvloop event loop."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
