"""Workflow activations on the worker's own event loop, not on a pool thread.

The SDK hands every workflow activation to a thread pool (``workflow_task_executor``) so
that it can notice user code that never yields (its 2 s deadlock check). Each hand-off
costs a thread wake-up and two GIL transfers on the critical path of every workflow
task: 0.15-0.3 ms each, 0.6-1.3 ms of a 3-step run at one caller, and ~1.7 ms of
worker CPU per run at 16 callers (bench/README.md, *Workflow activations on the event
loop*). The engine's one workflow runs no user code: what an activation does is bounded
by the document (at most ``MAX_STEPS``, contract/limits.py) and the data it reads
(capped bodies and signals), and expressions are JMESPath queries, which have no loops
of their own. So there is nothing for the check to catch, and the activation can run
on the loop that polled it.

What changes with it: while an activation runs, the worker's event loop does nothing
else. With the pool it did hardly more, as the activation held the GIL all the same
(the longest, a 1,000-step document's first task, is ~100-170 ms; bench/README.md).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class EventLoopActivations(concurrent.futures.ThreadPoolExecutor):
    """An executor that runs what it is given on the calling thread's event loop.

    It is a ``ThreadPoolExecutor`` only because that is the type the SDK's
    ``workflow_task_executor`` asks for; it never starts a thread. :meth:`submit` must be
    called from a running loop (the SDK calls it through ``loop.run_in_executor``).
    """

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="unused")

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[T]:
        loop = asyncio.get_running_loop()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:  # handed to the awaiting side, as a pool thread would
                future.set_exception(error)
            else:
                future.set_result(result)
            finally:
                # A workflow activation installs its own deterministic loop as the running
                # one and clears it when done: put the worker's loop back.
                asyncio._set_running_loop(loop)

        # From a callback of its own, not inside the submitting task's step (an activation
        # steps the workflow's tasks, and Python 3.14 refuses to enter a task while another
        # on this thread is mid-step); in an empty context, as on a fresh pool thread.
        loop.call_soon(run, context=contextvars.Context())
        return future
