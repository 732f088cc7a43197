"""The bench harness can't rot: every variant runs once on a tiny workload, and the
report's figures, ratios and targets come out of a real (small) bench run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from bench.report import table, write_json
from bench.run import SATURATION_RUNS_FACTOR, TARGET_RUNS_FACTOR, Options, run_bench
from bench.stats import Series, percentile
from bench.variants import VARIANTS
from bench.workloads import Workload, large_document
from interpreter.loader import load_document


def test_percentiles_interpolate() -> None:
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([5.0], 99) == 5.0
    assert percentile([1, 2, 3, 4, 5], 100) == 5


def test_overhead_per_step_is_engine_time_over_steps() -> None:
    series = Series("linear-3@0ms", "x", 1, 3, latencies_ms=[40.0, 40.0, 40.0], wall_s=0.12)
    row = series.summary(floor_p50_ms=10.0)
    assert row["overhead_per_step_ms"] == pytest.approx(10.0)
    assert row["runs_per_s"] == pytest.approx(25.0) and row["steps_per_s"] == pytest.approx(75.0)


def test_large_document_is_valid_with_the_asked_step_count() -> None:
    loaded = load_document(json.dumps(large_document(60, "http://127.0.0.1:9/step", lanes=7)))
    assert len(loaded.document.steps) == 60 and not loaded.warnings


async def test_every_variant_runs_and_reports(temporal_env: WorkflowEnvironment, tmp_path: Path) -> None:
    options = Options(
        runs=1, warmup=0, saturation=2, parked=20, parked_signals=2, large_steps=30, timer_runs=1,
        workloads=(Workload("linear", 3), Workload("wait", 1)),
    )
    result = await run_bench(options, log=lambda line: None, server=temporal_env)
    rows = {(r["workload"], r["variant"], r["concurrency"]): r for r in result["series"]}
    for variant in VARIANTS:
        row = rows[("linear-3@0ms", variant, 1)]
        assert row["runs"] == TARGET_RUNS_FACTOR and row["errors"] == 0 and row["p50_ms"] > 0
        assert rows[("linear-3@0ms", variant, 2)]["runs"] == SATURATION_RUNS_FACTOR
    assert rows[("wait-signal@0ms", "dispatched-api", 1)]["runs"] == 1
    assert ("wait-signal@0ms", "gateway-sync", 1) not in rows  # no answer before the signal
    assert {r["ratio"] for r in result["ratios"]} >= {"interpreter ÷ hand-written (activities)"}
    assert result["parked"]["parked_runs"] == 20 and result["parked"]["worker_rss_parked_mb"] > 10
    assert result["parked"]["signal_to_next_step_ms"]["samples"] == 2
    assert result["planning"]["steps"] == 30 and result["planning"]["workflow_tasks"] >= 1
    timers = result["timers"]
    for series in ("delay_to_next_step_ms", "wait_timeout_to_next_step_ms"):
        # a timer never lets the next step start before it ran out
        assert timers[series]["samples"] == 1 and timers[series]["p50"] >= timers["timer_ms"]
    assert {t["target"] for t in result["targets"]} >= {"Dispatched-Delay 250ms → next step (ms)"}
    assert len(result["targets"]) == 9
    written = write_json(result, tmp_path)
    assert json.loads(written.read_text())["series"]
    assert "targets:" in table(result)
