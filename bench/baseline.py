"""The hand-written alternative: a Temporal workflow and a pooled httpx activity, as a
user would write them without Dispatched.

One workflow covers every bench workload: an optional wait for a signal, then stages
run in turn, the calls of a stage concurrently (a linear DAG is stages of one call, a
fan-out/join is a stage of ten then a stage of one). Each call sends the previous
call's status, as the Dispatched documents do with a template. ``local`` runs the calls
as local activities instead of regular ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    import httpx

CALL_ACTIVITY = "bench.call"
WORKFLOW_NAME = "BenchHandwritten"


class CallInput(BaseModel):
    url: str
    body: Any = None


class CallOutput(BaseModel):
    status: int
    body: Any = None


class HandwrittenInput(BaseModel):
    stages: list[list[str]]
    local: bool = False
    wait_signal: str | None = None


class HttpCaller:
    """The activity side: one shared ``httpx.AsyncClient``, as the docs advise."""

    def __init__(self) -> None:
        self.client = httpx.AsyncClient(limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))

    async def aclose(self) -> None:
        await self.client.aclose()

    @activity.defn(name=CALL_ACTIVITY)
    async def call(self, input: CallInput) -> CallOutput:
        response = await self.client.post(input.url, json=input.body, timeout=30)
        if response.status_code >= 400:
            raise RuntimeError(f"POST {input.url} answered {response.status_code}")
        return CallOutput(status=response.status_code, body=response.json())


@workflow.defn(name=WORKFLOW_NAME)
class HandwrittenWorkflow:
    def __init__(self) -> None:
        self._signals: list[Any] = []

    @workflow.run
    async def run(self, input: HandwrittenInput) -> Any:
        if input.wait_signal is not None:
            await workflow.wait_condition(lambda: bool(self._signals))
        last = CallOutput(status=0)
        for stage in input.stages:
            calls = [self._call(CallInput(url=url, body={"previous": last.status}), input.local) for url in stage]
            last = (await asyncio.gather(*calls))[-1]
        return last.body

    async def _call(self, call: CallInput, local: bool) -> CallOutput:
        options: dict[str, Any] = {"result_type": CallOutput, "start_to_close_timeout": timedelta(seconds=35)}
        if local:
            return cast(CallOutput, await workflow.execute_local_activity(CALL_ACTIVITY, call, **options))
        return cast(CallOutput, await workflow.execute_activity(CALL_ACTIVITY, call, **options))

    @workflow.signal(dynamic=True)
    def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        self._signals.append(name)


def stages_for(kind: str, steps: int, url: str) -> list[list[str]]:
    """The stages of a workload: ``linear`` (``steps`` calls in turn) or ``fanout``
    (``steps`` calls at once, then one join call)."""
    if kind == "fanout":
        return [[url] * steps, [url]]
    return [[url] for _ in range(steps)]

