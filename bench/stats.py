"""Latency series and their summary figures (no I/O, so tested without servers)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Series:
    """Latencies (ms) of ``runs`` runs of one variant on one workload at one concurrency."""

    workload: str
    variant: str
    concurrency: int
    steps: int
    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    errors: int = 0

    @property
    def runs_per_s(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else float("nan")

    def summary(self, floor_p50_ms: float | None = None) -> dict[str, Any]:
        """The figures of the table; ``floor_p50_ms`` (direct HTTP time) gives the per-step overhead."""
        p50 = percentile(self.latencies_ms, 50)
        overhead = (p50 - floor_p50_ms) / self.steps if floor_p50_ms is not None and self.steps else None
        return {
            "workload": self.workload, "variant": self.variant, "concurrency": self.concurrency,
            "runs": len(self.latencies_ms), "errors": self.errors,
            "p50_ms": p50, "p95_ms": percentile(self.latencies_ms, 95), "p99_ms": percentile(self.latencies_ms, 99),
            "runs_per_s": self.runs_per_s, "steps_per_s": self.runs_per_s * self.steps,
            "overhead_per_step_ms": overhead,
        }


async def measure(
    run_once: Callable[[], Awaitable[float | None]], series: Series, *, runs: int, concurrency: int, warmup: int = 2
) -> Series:
    """Call ``run_once`` ``runs`` times from ``concurrency`` tasks and record each latency.

    ``run_once`` returns its own latency in seconds when only part of it counts (a wait
    run times from the signal on), or None to time the whole call. Warm-up calls are not
    recorded. A failed call is counted in ``errors`` and re-raised if every call failed.
    """
    for _ in range(warmup):
        await run_once()
    remaining = runs
    last_error: BaseException | None = None

    async def worker() -> None:
        nonlocal remaining, last_error
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            try:
                own = await run_once()
            except Exception as exc:  # counted; the bench goes on
                series.errors += 1
                last_error = exc
                continue
            series.latencies_ms.append(1000 * (own if own is not None else time.perf_counter() - started))

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    series.wall_s += time.perf_counter() - began  # a series may be measured in slices
    if not series.latencies_ms and last_error is not None:
        raise last_error
    return series
