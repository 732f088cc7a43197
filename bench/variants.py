"""The variants: the same workload done by each alternative, one run per call.

Every factory takes the :class:`Setup` (clients, queues, URLs) and a workload and
returns an async callable that performs one whole run and returns None (time the whole
call) or, for a wait workload, the seconds from the signal to the run's answer.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from temporalio.client import Client

from bench.baseline import WORKFLOW_NAME, HandwrittenInput
from bench.workloads import WAIT_SIGNAL, Workload, document_data
from contract.document import Document
from contract.messages import RunInput, RunResult, TriggerData
from contract.names import DEFAULT_PROJECT
from interpreter.client import RunClient

RunOnce = Callable[[], Awaitable[float | None]]
# How long a wait run is given to park before it is signalled (not measured).
PARK_PAUSE = 0.3


@dataclass
class Setup:
    """What the variants drive: the Temporal client, the worker queues, the upstream
    URLs by delay, and (when the gateway runs) its URL and an authenticated client."""

    client: Client
    dispatched_queue: str
    handwritten_queue: str
    upstreams: dict[int, str]
    http: httpx.AsyncClient
    gateway: httpx.AsyncClient | None = None
    deployed: set[str] = field(default_factory=set)
    handwritten_client: Client | None = None  # plain payloads, as written by hand (bench/clients.py)
    eager_gateway: httpx.AsyncClient | None = None  # DISPATCHED_EAGER_START, its own worker in-process
    handwritten_http: httpx.AsyncClient | None = None  # the hand-written workflow's HTTP front

    def url(self, workload: Workload) -> str:
        return self.upstreams[workload.delay_ms] + "/step"

    @property
    def runs(self) -> RunClient:
        return RunClient(self.client, task_queue=self.dispatched_queue)


def direct(setup: Setup, workload: Workload) -> RunOnce:
    """The floor: the same calls with one pooled httpx client, no engine."""
    stages = workload.stages(setup.url(workload))

    async def once() -> None:
        previous = 0
        for stage in stages:
            answers = await asyncio.gather(*(setup.http.post(url, json={"previous": previous}) for url in stage))
            previous = answers[-1].status_code
            answers[-1].json()

    return once


def handwritten(local: bool) -> Callable[[Setup, Workload], RunOnce]:
    """A hand-written Temporal workflow: start, (signal,) await its result."""

    def factory(setup: Setup, workload: Workload) -> RunOnce:
        wait = workload.kind == "wait"
        input = HandwrittenInput(stages=workload.stages(setup.url(workload)), local=local, wait_signal=WAIT_SIGNAL if wait else None)

        async def once() -> float | None:
            handle = await (setup.handwritten_client or setup.client).start_workflow(
                WORKFLOW_NAME, input, id=f"hw-{uuid.uuid4().hex}", task_queue=setup.handwritten_queue
            )
            if not wait:
                await handle.result()
                return None
            await asyncio.sleep(PARK_PAUSE)
            started = time.perf_counter()
            await handle.signal(WAIT_SIGNAL, {})
            await handle.result()
            return time.perf_counter() - started

        return once

    return factory


def handwritten_http(setup: Setup, workload: Workload) -> RunOnce:
    """The hand-written workflow behind a hand-written FastAPI route (bench/handwritten_http.py):
    ``POST /run``, answered with the workflow's result. What ``gateway-sync`` does, the
    HTTP hop counted on both sides."""
    front = setup.handwritten_http
    assert front is not None
    input = HandwrittenInput(stages=workload.stages(setup.url(workload))).model_dump()

    async def once() -> None:
        answer = await front.post("/run", json=input)
        if answer.status_code != 200:
            raise RuntimeError(f"the hand-written front answered {answer.status_code}: {answer.text[:200]}")

    return once


def run_input(document: Document) -> RunInput:
    """A run of ``document`` as the engine's Python API takes it (a fresh run id, empty body)."""
    return RunInput(run_id=RunClient.new_run_id(), workflow=document.name, revision=1, document=document, trigger=TriggerData(body={}))


def api_result(setup: Setup, workload: Workload) -> RunOnce:
    """Dispatched through ``RunClient``: start, (signal,) await the run's result —
    the same mode as the hand-written variants."""
    document = workload.document(setup.url(workload))
    runs = setup.runs

    async def once() -> float | None:
        run_id = await runs.start(run_input(document))
        handle = setup.client.get_workflow_handle(run_id, result_type=RunResult)
        if workload.kind != "wait":
            await handle.result()
            return None
        await asyncio.sleep(PARK_PAUSE)
        started = time.perf_counter()
        await runs.signal(run_id, WAIT_SIGNAL, {}, project=DEFAULT_PROJECT)
        await handle.result()
        return time.perf_counter() - started

    return once


def api_sync(local: bool) -> Callable[[Setup, Workload], RunOnce]:
    """Dispatched through ``RunClient.start_and_wait_response``: what the gateway's
    synchronous trigger does, without HTTP in front (``local``: request steps ``local: true``)."""

    def factory(setup: Setup, workload: Workload) -> RunOnce:
        document = workload.document(setup.url(workload), local=local)

        async def once() -> None:
            published = await setup.runs.start_and_wait_response(run_input(document), timeout=60)
            if published is None:
                raise RuntimeError("no answer within 60 s")

        return once

    return factory


async def deploy(setup: Setup, workload: Workload, *, local: bool = False) -> str:
    """Register the workload's document with the gateway (once); returns its name."""
    assert setup.gateway is not None
    data = document_data(workload, setup.url(workload), local=local)
    name = str(data["name"])
    if name not in setup.deployed:
        answer = await setup.gateway.put(f"/api/workflows/{name}", json=data)
        answer.raise_for_status()
        setup.deployed.add(name)
    return name


def gateway_sync(local: bool, eager: bool = False) -> Callable[[Setup, Workload], RunOnce]:
    """``POST /workflows/{name}`` answered with the run's response (``local``: request
    steps ``local: true``; ``eager``: to the gateway with ``DISPATCHED_EAGER_START``, whose
    worker runs in its own process; the workflow is registered through the first one,
    which shares its registry)."""

    def factory(setup: Setup, workload: Workload) -> RunOnce:
        gateway = setup.eager_gateway if eager else setup.gateway
        assert gateway is not None

        async def once() -> None:
            name = await deploy(setup, workload, local=local)
            answer = await gateway.post(f"/workflows/{name}", json={})
            if answer.status_code != 200:
                raise RuntimeError(f"gateway answered {answer.status_code}: {answer.text[:200]}")

        return once

    return factory


def gateway_async(setup: Setup, workload: Workload) -> RunOnce:
    """``POST /workflows/{name}`` with ``Prefer: respond-async`` (202 at once), then the
    run awaited to its end; for a wait workload the signal goes through the gateway too."""
    assert setup.gateway is not None
    gateway = setup.gateway

    async def once() -> float | None:
        name = await deploy(setup, workload)
        answer = await gateway.post(f"/workflows/{name}", json={}, headers={"Prefer": "respond-async"})
        if answer.status_code != 202:
            raise RuntimeError(f"gateway answered {answer.status_code}: {answer.text[:200]}")
        handle = setup.client.get_workflow_handle(answer.json()["run_id"], result_type=RunResult)
        if workload.kind != "wait":
            await handle.result()
            return None
        await asyncio.sleep(PARK_PAUSE)
        started = time.perf_counter()
        signalled = await gateway.post(f"/api/runs/{handle.id}/signal/{WAIT_SIGNAL}", json={})
        signalled.raise_for_status()
        await handle.result()
        return time.perf_counter() - started

    return once


VARIANTS: dict[str, Callable[[Setup, Workload], RunOnce]] = {
    "direct-httpx": direct,
    "handwritten-activity": handwritten(local=False),
    "handwritten-local": handwritten(local=True),
    "handwritten-http": handwritten_http,
    "dispatched-api": api_result,
    "dispatched-api-sync": api_sync(local=False),
    "dispatched-api-sync-local": api_sync(local=True),
    "gateway-sync": gateway_sync(local=False),
    "gateway-sync-local": gateway_sync(local=True),
    "gateway-sync-eager": gateway_sync(local=False, eager=True),
    "gateway-sync-eager-local": gateway_sync(local=True, eager=True),
    "gateway-async": gateway_async,
}
# Variants that cannot take a wait step (nothing to signal, or no answer until the signal).
NO_WAIT = frozenset({"direct-httpx", "handwritten-http", "dispatched-api-sync", "dispatched-api-sync-local", "gateway-sync",
                     "gateway-sync-local", "gateway-sync-eager", "gateway-sync-eager-local"})
EAGER_VARIANTS = frozenset({"gateway-sync-eager", "gateway-sync-eager-local"})
HANDWRITTEN_HTTP = "handwritten-http"  # needs its HTTP front started (bench/run.py)


def supports(variant: str, workload: Workload) -> bool:
    return not (workload.kind == "wait" and variant in NO_WAIT)

