"""One bench run: start everything once, measure every variant on every workload,
then the timers, the 1,000-step document and the parked runs, and put the figures together."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from bench import clients, processes
from bench.eager import measure_eager
from bench.parked import measure_parked
from bench.planning import run_large, time_validation
from bench.report import machine, ratios, targets
from bench.server import DYNAMIC_CONFIG, server_address, start_server
from bench.stats import Series, measure
from bench.timers import measure_timers
from bench.upstream import start_upstreams
from bench.variants import EAGER_VARIANTS, HANDWRITTEN_HTTP, VARIANTS, Setup, supports
from bench.workloads import Workload

DEFAULT_WORKLOADS = (
    Workload("linear", 1), Workload("linear", 3), Workload("linear", 10), Workload("fanout", 10),
    Workload("linear", 3, 50), Workload("fanout", 10, 50), Workload("wait", 1),
)
# The 3-step line: the workload of the saturation series, and the one whose one-caller
# ratio is a target (gateway sync ÷ hand-written). A p50 of 30 runs moved that ratio by
# ±4 % between runs of the bench (0.96-1.05), where 300 runs of each put it at 1.007
# (0.986-1.033); so at one caller it gets TARGET_RUNS_FACTOR x --runs runs.
TARGET_WORKLOAD = SATURATION_WORKLOAD = Workload("linear", 3)
TARGET_RUNS_FACTOR = 4


@dataclass
class Options:
    """What ``python -m bench`` was asked for (see its ``--help``)."""

    runs: int = 30
    warmup: int = 3
    saturation: int = 16
    parked: int = 10_000
    parked_signals: int = 50
    large_steps: int = 1000
    timer_runs: int = 30
    variants: tuple[str, ...] = tuple(VARIANTS)
    workloads: tuple[Workload, ...] = DEFAULT_WORKLOADS
    dynamic_config: dict[str, str] = field(default_factory=lambda: dict(DYNAMIC_CONFIG))


@dataclass
class Running:
    setup: Setup
    address: str
    dispatched_worker_pid: int
    handwritten_worker_pid: int
    gateway_pid: int


@asynccontextmanager
async def everything(options: Options, server: WorkflowEnvironment | None = None) -> AsyncIterator[Running]:
    """Dev server (unless ``server`` is given), upstreams, both workers and the gateway;
    stopped in reverse order."""
    env = server or await start_server(options.dynamic_config)
    upstreams = start_upstreams((0, 50))
    address = server_address(env)
    suffix = uuid.uuid4().hex[:8]
    dispatched_q, handwritten_q = f"bench-dispatched-{suffix}", f"bench-handwritten-{suffix}"
    started = []
    try:
        started.append(processes.start_worker(address, dispatched_q, "dispatched"))
        started.append(processes.start_worker(address, handwritten_q, "handwritten"))
        with tempfile.TemporaryDirectory(prefix="dispatched-bench-") as data_dir:
            gateway, url = processes.start_gateway(address, dispatched_q, Path(data_dir))
            started.append(gateway)
            eager_url = None
            if any(variant in EAGER_VARIANTS for variant in options.variants):
                # A second gateway on the same registry, with its own worker in its process
                # and a task queue no other worker polls (DISPATCHED_EAGER_START).
                eager, eager_url = processes.start_gateway(
                    address, f"bench-eager-{suffix}", Path(data_dir),
                    {"DISPATCHED_EAGER_START": "true", "DISPATCHED_ALLOW_HOSTS": "127.0.0.1"},
                )
                started.append(eager)
            handwritten_url = None
            if HANDWRITTEN_HTTP in options.variants:
                front, handwritten_url = processes.start_handwritten_http(address, handwritten_q)
                started.append(front)
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
            session = {"Dispatched-Session": processes.BENCH_TOKEN}
            async with (
                httpx.AsyncClient(limits=limits, timeout=60) as http,
                httpx.AsyncClient(base_url=url, limits=limits, timeout=90, headers=session) as gw,
                httpx.AsyncClient(base_url=eager_url or url, limits=limits, timeout=90, headers=session) as eager_gw,
                httpx.AsyncClient(base_url=handwritten_url or url, limits=limits, timeout=90) as handwritten_http,
            ):
                setup = Setup(clients.on_connection(env.client, "dispatched"), dispatched_q, handwritten_q,
                              upstreams.urls, http, gw, handwritten_client=clients.on_connection(env.client, "handwritten"),
                              eager_gateway=eager_gw if eager_url else None,
                              handwritten_http=handwritten_http if handwritten_url else None)
                yield Running(setup, address, started[0].pid, started[1].pid, gateway.pid)
    finally:
        for process in reversed(started):
            processes.stop(process)
        upstreams.stop()
        if server is None:
            await env.shutdown()


# The machine is shared, so its load changes within a run: a series measured all at once
# and its neighbour measured a minute later can differ by the load, not by the variant.
# So the variants of one workload take turns: one run each at concurrency 1, and slices
# of SATURATION_SLICES at saturation, the order turned by one variant each slice so that
# none always follows the same neighbour. Each slice ends with fewer callers in flight
# (the same for every variant). With 3 slices of 40 runs at 16 callers the runs/s ratio
# was unsteady (gateway ÷ hand-written 1.04 in one full run, 0.85 in the next, and 0.97 to
# 1.06 in longer A/B runs after: bench/README.md, *Runs per second at saturation*), so a
# saturation series is SATURATION_RUNS_FACTOR x --runs runs (240 by default) in 5 slices.
SATURATION_SLICES = 5
SATURATION_RUNS_FACTOR = 8


async def _series(setup: Setup, options: Options, log: Any) -> list[dict[str, Any]]:
    groups = [(w, 1, options.runs * (TARGET_RUNS_FACTOR if w == TARGET_WORKLOAD else 1),
               [v for v in options.variants if supports(v, w)]) for w in options.workloads]
    if options.saturation > 1:
        groups.append((SATURATION_WORKLOAD, options.saturation, options.runs * SATURATION_RUNS_FACTOR, list(options.variants)))
    rows: list[dict[str, Any]] = []
    floors: dict[str, float] = {}
    for workload, concurrency, runs, variants in groups:
        calls = {v: VARIANTS[v](setup, workload) for v in variants}
        series = {v: Series(workload.name, v, concurrency, workload.request_count) for v in variants}
        for variant in variants:
            await measure(calls[variant], Series(workload.name, variant, 1, 1), runs=0, concurrency=1,
                          warmup=options.warmup)
        slices = runs if concurrency == 1 else min(SATURATION_SLICES, runs)
        for index in range(slices):
            count = runs // slices + (1 if index < runs % slices else 0)
            turn = index % len(variants) if concurrency > 1 else 0
            for variant in variants[turn:] + variants[:turn]:
                await measure(calls[variant], series[variant], runs=count, concurrency=concurrency, warmup=0)
        for variant in variants:
            row = series[variant].summary(floors.get(workload.name) if variant != "direct-httpx" else None)
            if variant == "direct-httpx" and concurrency == 1:
                floors[workload.name] = row["p50_ms"]
            rows.append(row)
            log(f"{workload.name:<20} {variant:<22} c={concurrency:<3} p50 {row['p50_ms']:.1f} ms")
    return rows


async def run_bench(options: Options, log: Any = print, *, server: WorkflowEnvironment | None = None) -> dict[str, Any]:
    """Everything the bench measures, as one JSON-ready dict.

    ``server`` is an already running dev server to use (the smoke test passes the test
    session's); without it the bench starts its own with ``options.dynamic_config``.
    """
    result: dict[str, Any] = {"machine": machine(), "options": {
        "runs": options.runs, "warmup": options.warmup, "saturation": options.saturation,
        "parked": options.parked, "large_steps": options.large_steps, "timer_runs": options.timer_runs,
        "dynamic_config": options.dynamic_config,
    }}
    async with everything(options, server) as running:
        setup = running.setup
        rows = await _series(setup, options, log)
        if any(variant in EAGER_VARIANTS for variant in options.variants):
            # eager start alone: one worker in this process, both ways (bench/eager.py)
            found_rows = await _phase("eager", _eager(setup, options), log)
            rows += found_rows.get("rows", [])
        timers: dict[str, Any] = {}
        if options.timer_runs:
            timers = await _phase("timers", measure_timers(
                setup.client, setup.dispatched_queue, setup.upstreams[0], runs=options.timer_runs), log)
        planning: dict[str, Any] = {}
        if options.large_steps:
            planning = await _phase("planning", _planning(setup, options), log)
        parked: dict[str, Any] = {}
        if options.parked:
            parked = await _phase("parked", _parked(running, options), log)
    found = ratios(rows)
    result |= {"series": rows, "ratios": found, "timers": timers, "planning": planning, "parked": parked}
    result["targets"] = targets(rows, found, result)
    return result


async def _phase(name: str, work: Awaitable[dict[str, Any]], log: Any) -> dict[str, Any]:
    """Run one phase; a failure is reported in its figures instead of losing the whole run."""
    try:
        figures = await work
    except Exception as exc:
        figures = {"error": f"{type(exc).__name__}: {exc}"}
    log(f"{name}: {figures}")
    return figures


async def _eager(setup: Setup, options: Options) -> dict[str, Any]:
    url = setup.upstreams[0] + "/step"
    return {"rows": await measure_eager(setup.client, url, runs=options.runs, warmup=options.warmup,
                                        concurrency=options.saturation)}


async def _planning(setup: Setup, options: Options) -> dict[str, Any]:
    url = setup.upstreams[0] + "/step"
    figures = time_validation(options.large_steps, url)
    return figures | await run_large(setup.client, setup.dispatched_queue, options.large_steps, url)


async def _parked(running: Running, options: Options) -> dict[str, Any]:
    """Parked runs on a fresh Dispatched worker of their own."""
    queue = f"bench-parked-{uuid.uuid4().hex[:8]}"
    worker = processes.start_worker(running.address, queue, "dispatched")
    try:
        return await measure_parked(
            running.setup.client, queue, worker.pid, running.setup.upstreams[0] + "/step",
            count=options.parked, signals=options.parked_signals, rss=processes.rss_mb,
        )
    finally:
        processes.stop(worker)
