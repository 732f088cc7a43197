"""The executor that runs workflow activations on the worker's event loop (runtime/activations.py)."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from runtime.activations import EventLoopActivations

MARK: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="unset")


async def test_work_runs_on_the_loops_thread_and_its_result_comes_back() -> None:
    loop = asyncio.get_running_loop()
    ran_on: list[int] = []

    def work(a: int, b: int) -> int:
        ran_on.append(threading.get_ident())
        return a + b

    assert await loop.run_in_executor(EventLoopActivations(), work, 2, 3) == 5
    assert ran_on == [threading.get_ident()]


async def test_an_error_reaches_the_awaiting_side() -> None:
    def work() -> None:
        raise ValueError("the activation failed")

    with pytest.raises(ValueError, match="the activation failed"):
        await asyncio.get_running_loop().run_in_executor(EventLoopActivations(), work)


async def test_the_running_loop_is_put_back_after_work_that_clears_it() -> None:
    # What a workflow activation does: install its own loop as the running one, clear it at the end.
    loop = asyncio.get_running_loop()

    def work() -> None:
        asyncio._set_running_loop(None)

    await loop.run_in_executor(EventLoopActivations(), work)
    assert asyncio.get_running_loop() is loop
    await asyncio.sleep(0)  # the loop still schedules


async def test_work_runs_in_an_empty_context_as_on_a_fresh_thread() -> None:
    MARK.set("the caller's")
    seen = await asyncio.get_running_loop().run_in_executor(EventLoopActivations(), MARK.get)
    assert seen == "unset"


async def test_work_whose_future_was_cancelled_before_it_ran_does_not_run() -> None:
    ran: list[bool] = []
    future = EventLoopActivations().submit(lambda: ran.append(True))
    assert future.cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert ran == []
    assert future.cancelled()


def test_submit_outside_a_running_loop_is_refused() -> None:
    with pytest.raises(RuntimeError, match="no running event loop"):
        EventLoopActivations().submit(lambda: None)
