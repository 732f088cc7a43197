"""The bench's answer: ratios, targets, a table on stdout and a JSON file."""

from __future__ import annotations

import json
import math
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """Where the figures came from (CPU model, cores, memory, Python, load at the start)."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(), "system": platform.platform(), "load_avg_at_start": os.getloadavg(),
    }


def _p50(rows: list[dict[str, Any]], workload: str, variant: str, concurrency: int = 1) -> float | None:
    for row in rows:
        if (row["workload"], row["variant"], row["concurrency"]) == (workload, variant, concurrency):
            return float(row["p50_ms"])
    return None


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """p50 ratios at concurrency 1, per workload: engine ÷ hand-written, gateway ÷ client..."""
    pairs = [
        ("interpreter ÷ hand-written (activities)", "dispatched-api", "handwritten-activity"),
        ("hand-written local ÷ hand-written (activities)", "handwritten-local", "handwritten-activity"),
        ("gateway sync ÷ direct client (API sync)", "gateway-sync", "dispatched-api-sync"),
        ("gateway sync ÷ hand-written behind HTTP", "gateway-sync", "handwritten-http"),
        ("hand-written behind HTTP ÷ hand-written (activities)", "handwritten-http", "handwritten-activity"),
        ("interpreter local ÷ hand-written local", "dispatched-api-sync-local", "handwritten-local"),
        ("gateway sync local ÷ direct client local", "gateway-sync-local", "dispatched-api-sync-local"),
        ("gateway async ÷ direct client (API)", "gateway-async", "dispatched-api"),
        ("gateway sync eager ÷ gateway sync", "gateway-sync-eager", "gateway-sync"),
        ("gateway sync eager local ÷ gateway sync local", "gateway-sync-eager-local", "gateway-sync-local"),
        ("in-process eager ÷ in-process update-with-start", "in-process-eager", "in-process-update-with-start"),
    ]
    found = []
    for workload in dict.fromkeys(row["workload"] for row in rows):
        for label, top, bottom in pairs:
            a, b = _p50(rows, workload, top), _p50(rows, workload, bottom)
            if a is not None and b:
                found.append({"ratio": label, "workload": workload, "value": a / b})
    return found


def _runs_per_s(rows: list[dict[str, Any]], variant: str, concurrency: int) -> float | None:
    for row in rows:
        if (row["workload"], row["variant"], row["concurrency"]) == ("linear-3@0ms", variant, concurrency):
            return float(row["runs_per_s"])
    return None


def _quotient(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


# A target is met at or under its limit, except those marked "at least".
AT_LEAST = "≥"


def targets(rows: list[dict[str, Any]], found: list[dict[str, Any]], extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue 14 with the measured figure (p50 unless said) and whether it is met."""
    parked = extra.get("parked") or {}
    planning = extra.get("planning") or {}
    timers = extra.get("timers") or {}
    saturation = int((extra.get("options") or {}).get("saturation") or 16)
    checks: list[tuple[str, float | None, float, str]] = [
        ("Dispatched-Delay 250ms → next step (ms)", (timers.get("delay_to_next_step_ms") or {}).get("p50"), 350.0, "≤"),
        ("wait timeout 250ms → next step (ms)", (timers.get("wait_timeout_to_next_step_ms") or {}).get("p50"), 350.0, "≤"),
        ("gateway sync ÷ hand-written (activities), 3 steps",
         _quotient(_p50(rows, "linear-3@0ms", "gateway-sync"), _p50(rows, "linear-3@0ms", "handwritten-activity")), 1.0, "≤"),
        (f"gateway sync runs/s at {saturation} callers ÷ hand-written",
         _quotient(_runs_per_s(rows, "gateway-sync", saturation), _runs_per_s(rows, "handwritten-activity", saturation)),
         1.0, AT_LEAST),
        ("3-step gateway sync, local: true (ms)", _p50(rows, "linear-3@0ms", "gateway-sync-local"), 50.0, "≤"),
        ("worker RSS with parked runs (MB)", parked.get("worker_rss_parked_mb"), 200.0, "≤"),
        ("signal → next step while parked (ms)", (parked.get("signal_to_next_step_ms") or {}).get("p50"), 60.0, "≤"),
        ("1,000-step validate + compile, warm (ms, JSON, fastest of 9)", planning.get("load_json_fastest_ms"), 30.0, "≤"),
        ("1,000-step longest workflow task (ms)", planning.get("longest_workflow_task_ms"), 2000.0, "≤"),
    ]
    return [{"target": name, "measured": value, "limit": limit, "direction": direction,
             "met": None if value is None or math.isnan(value) else (value >= limit if direction == AT_LEAST else value <= limit)}
            for name, value, limit, direction in checks]


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else "met" if met else "MISSED"


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(result: dict[str, Any]) -> str:
    """The human-readable report."""
    lines = [f"{'workload':<20} {'variant':<22} {'conc':>4} {'runs':>5} {'p50':>8} {'p95':>8} {'p99':>8} "
             f"{'runs/s':>8} {'steps/s':>8} {'ovh/step':>8}"]
    for row in result["series"]:
        lines.append(
            f"{row['workload']:<20} {row['variant']:<22} {row['concurrency']:>4} {row['runs']:>5} "
            f"{_fmt(row['p50_ms']):>8} {_fmt(row['p95_ms']):>8} {_fmt(row['p99_ms']):>8} "
            f"{_fmt(row['runs_per_s']):>8} {_fmt(row['steps_per_s']):>8} {_fmt(row['overhead_per_step_ms']):>8}"
        )
    lines += ["", "ratios (p50, concurrency 1):"]
    lines += [f"  {r['ratio']:<48} {r['workload']:<20} {r['value']:.2f}" for r in result["ratios"]]
    for key in ("timers", "parked", "planning"):
        if result.get(key):
            lines += ["", f"{key}:"] + [f"  {k}: {_fmt(v, 2) if not isinstance(v, dict) else json.dumps(v)}"
                                        for k, v in result[key].items()]
    lines += ["", "targets:"]
    lines += [f"  [{_verdict(t['met'])}] {t['target']:<44} {_fmt(t['measured'], 2):>9} ({t.get('direction', '≤')} {t['limit']:g})"
              for t in result["targets"]]
    return "\n".join(lines)


def write_json(result: dict[str, Any], directory: Path = RESULTS) -> Path:
    """``results/<UTC timestamp>.json``; NaN becomes null so any JSON reader takes it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(_clean(result), indent=2) + "\n")
    return path


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def markdown(result: dict[str, Any]) -> str:
    """The figures as Markdown tables, for ``bench/README.md``
    (``python -m bench.report bench/results/baseline.json``)."""
    lines = ["| workload | variant | conc | runs | p50 ms | p95 ms | p99 ms | runs/s | steps/s | overhead/step ms |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for row in result["series"]:
        lines.append(f"| {row['workload']} | {row['variant']} | {row['concurrency']} | {row['runs']} | "
                     f"{_fmt(row['p50_ms'])} | {_fmt(row['p95_ms'])} | {_fmt(row['p99_ms'])} | {_fmt(row['runs_per_s'])} | "
                     f"{_fmt(row['steps_per_s'])} | {_fmt(row['overhead_per_step_ms'])} |")
    lines += ["", "| ratio (p50, concurrency 1) | workload | value |", "|---|---|--:|"]
    lines += [f"| {r['ratio']} | {r['workload']} | {r['value']:.2f} |" for r in result["ratios"]]
    for key in ("timers", "planning", "parked"):
        if result.get(key):
            lines += ["", f"| {key} | value |", "|---|--:|"]
            lines += [f"| {k} | {_fmt(v, 2) if not isinstance(v, dict) else ', '.join(f'{a} {_fmt(b, 1)}' for a, b in v.items())} |"
                      for k, v in result[key].items()]
    lines += ["", "| target | measured | limit | |", "|---|--:|--:|---|"]
    lines += [f"| {t['target']} | {_fmt(t['measured'], 2)} | {t.get('direction', '≤')} {t['limit']:g} | {_verdict(t['met'])} |"
              for t in result["targets"]]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(markdown(json.loads(Path(sys.argv[1]).read_text())))
