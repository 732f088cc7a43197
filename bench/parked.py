"""Many runs parked on a wait step: the worker's RSS and signal → next step latency.

The runs go to a Dispatched worker of their own (a fresh subprocess), so its RSS is
the engine's with exactly these runs, measured before and after they park.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from temporalio.client import Client

from bench.stats import percentile
from bench.variants import run_input
from bench.workloads import WAIT_SIGNAL, Workload
from contract.messages import RunResult
from contract.names import DEFAULT_PROJECT
from interpreter.client import RunClient

START_CONCURRENCY = 32


async def _start_all(runs: RunClient, workload: Workload, url: str, count: int) -> list[str]:
    document = workload.document(url)
    run_ids: list[str] = []
    remaining = count

    async def starter() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            run_ids.append(await runs.start(run_input(document)))

    await asyncio.gather(*(starter() for _ in range(START_CONCURRENCY)))
    return run_ids


async def _until_parked(runs: RunClient, run_ids: list[str], timeout: float) -> None:
    """Wait until the last-started runs wait on their signal (earlier ones went first).

    A run no worker has picked up yet answers from visibility alone, without steps.
    """
    deadline = time.monotonic() + timeout
    for run_id in run_ids[-10:]:
        while getattr((await runs.state(run_id, project=DEFAULT_PROJECT)).steps.get("w"), "status", None) != "waiting":
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} did not park within {timeout:.0f} s")
            await asyncio.sleep(0.2)


async def measure_parked(
    client: Client, task_queue: str, worker_pid: int, url: str, *, count: int, signals: int, rss: Any
) -> dict[str, Any]:
    """Park ``count`` runs, read the worker's RSS, then signal ``signals`` of them one
    at a time and time each signal to the run's answer (its next step done)."""
    runs = RunClient(client, task_queue=task_queue)
    workload = Workload("wait", 1)
    rss_before = rss(worker_pid)
    began = time.perf_counter()
    run_ids = await _start_all(runs, workload, url, count)
    start_s = time.perf_counter() - began
    await _until_parked(runs, run_ids, timeout=max(60.0, count / 20))
    parked_s = time.perf_counter() - began
    await asyncio.sleep(2)  # let the worker settle before reading its memory
    rss_parked = rss(worker_pid)
    latencies: list[float] = []
    for run_id in random.Random(7).sample(run_ids, min(signals, len(run_ids))):
        handle = client.get_workflow_handle(run_id, result_type=RunResult)
        started = time.perf_counter()
        await runs.signal(run_id, WAIT_SIGNAL, {}, project=DEFAULT_PROJECT)
        await handle.result()
        latencies.append(1000 * (time.perf_counter() - started))
    return {
        "parked_runs": count,
        "start_rate_per_s": count / start_s,
        "all_parked_after_s": parked_s,
        "worker_rss_idle_mb": rss_before,
        "worker_rss_parked_mb": rss_parked,
        "signal_to_next_step_ms": {
            "samples": len(latencies), "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
        },
    }
