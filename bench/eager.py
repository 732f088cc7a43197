"""Eager workflow start for a synchronous trigger, measured against update-with-start.

The sync trigger starts a run and waits for its answer in one update-with-start call.
Temporal's eager workflow start (the start response carries the first workflow task to
a worker in the caller's process, skipping the task queue) cannot be combined with it:
the Python SDK's ``WithStartWorkflowOperation`` has no ``request_eager_start`` and never
sets ``request_eager_execution`` on the start request it builds, and the server refuses
a multi-operation start that asks for it (``errMultiOpEagerWorkflow``, "RequestEagerExecution
is not supported"). What is possible is two calls: ``start_workflow(request_eager_start=True)``
then the response update on the running workflow.

Both shapes run here against one Dispatched worker in this very process on the same
client (as a gateway with an in-process worker would), on the 3-step line, so the only
difference is the calls:

* ``in-process update-with-start``: :meth:`RunClient.start_and_wait_response`;
* ``in-process eager start + update``: :meth:`RunClient.start_eagerly_and_wait_response`.
"""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import Client

from activities.secrets import MemorySecretStore
from bench.stats import Series, measure
from bench.variants import run_input
from bench.workloads import Workload
from contract.document import Document
from interpreter.client import RunClient
from runtime.worker import create_worker

WORKLOAD = Workload("linear", 3)


async def measure_eager(client: Client, url: str, *, runs: int, warmup: int, concurrency: int) -> list[dict[str, Any]]:
    """Rows like the main table's for both shapes, regular and ``local: true`` steps."""
    queue = f"bench-eager-{uuid.uuid4().hex[:8]}"
    worker = create_worker(client, task_queue=queue, secrets=MemorySecretStore({}), allow_hosts=["127.0.0.1"])
    runs_client = RunClient(client, task_queue=queue)
    rows: list[dict[str, Any]] = []
    async with worker:
        for local in (False, True):
            document = WORKLOAD.document(url, local=local)

            async def with_start(document: Document = document) -> None:
                if await runs_client.start_and_wait_response(run_input(document), timeout=60) is None:
                    raise RuntimeError("no answer within 60 s")

            async def eager(document: Document = document) -> None:
                if await runs_client.start_eagerly_and_wait_response(run_input(document), timeout=60) is None:
                    raise RuntimeError("no answer within 60 s")

            suffix = "-local" if local else ""
            for name, once in ((f"in-process-update-with-start{suffix}", with_start), (f"in-process-eager{suffix}", eager)):
                for callers in sorted({1, concurrency}):
                    series = Series(WORKLOAD.name, name, callers, WORKLOAD.request_count)
                    count = runs if callers == 1 else runs * 4
                    await measure(once, series, runs=count, concurrency=callers, warmup=warmup)
                    rows.append(series.summary())
    return rows
